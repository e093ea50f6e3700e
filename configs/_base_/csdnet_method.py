# The CSDNet method, written once for the CSDNet configs on ResNet-50: the
# CSDNet model (models/csdnet_r50.py: SSDP, DDL and SSDT on the ResNet-50
# classifier of models/resnet50.py), MMPretrain's default runtime and the
# SSDPHook (SSDP's start / ramp schedule and its visualisation). A config
# adds its data and schedule and writes only what is its own (the head's
# num_classes); on the UFG protocol, inherit csdnet_method_ufg-160e.py.
_base_ = ['./models/csdnet_r50.py', './default_runtime.py']

custom_hooks = [dict(type='SSDPHook')]
