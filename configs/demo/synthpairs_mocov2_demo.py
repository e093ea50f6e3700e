_base_ = './synthpairs-mocov2_resnet18-cifar-w32_1xb32-coslr-30e_ufg-demo.py'
