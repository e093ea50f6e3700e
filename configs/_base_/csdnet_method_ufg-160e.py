# The CSDNet method (csdnet_method.py) on the UFG protocol's schedule
# (schedules/ufg_sgd_160e.py). The protocol's 10x learning rate for new
# layers covers the SSDP kernel and the DDL projection too (both live in
# `*neck*` modules). A config adds its data and the head's num_classes.
_base_ = ['./csdnet_method.py', './schedules/ufg_sgd_160e.py']

optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'neck': dict(lr_mult=10.)}))
