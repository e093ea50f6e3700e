_base_ = './resnet18-cifar-w32_1xb16-linear-steplr-30e_ufg-demo_20pct.py'
