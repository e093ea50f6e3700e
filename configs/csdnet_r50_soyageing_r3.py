_base_ = './csdnet/csdnet_resnet50_1xb16-160e_soyageing-r3-384px.py'
