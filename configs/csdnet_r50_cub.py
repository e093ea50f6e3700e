_base_ = './csdnet/csdnet_resnet50_8xb8-100e_cub-448px.py'
