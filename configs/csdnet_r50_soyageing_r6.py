_base_ = './csdnet/csdnet_resnet50_1xb16-160e_soyageing-r6-384px.py'
