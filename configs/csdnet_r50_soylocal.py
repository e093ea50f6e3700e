_base_ = './csdnet/csdnet_resnet50_1xb16-160e_soylocal-384px.py'
