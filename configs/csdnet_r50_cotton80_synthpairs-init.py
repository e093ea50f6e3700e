_base_ = './csdnet/csdnet_resnet50_synthpairs-pre_1xb8-160e_cotton80-384px.py'
