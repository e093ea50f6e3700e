_base_ = './resnet18-cifar-w32_1xb16-adamw-30e_ufg-demo.py'
