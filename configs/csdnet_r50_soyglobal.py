_base_ = './csdnet/csdnet_resnet50_1xb16-160e_soyglobal-384px.py'
