_base_ = './csdnet/csdnet_resnet50_1xb16-160e_soygene-384px.py'
