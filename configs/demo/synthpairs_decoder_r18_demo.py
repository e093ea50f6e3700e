_base_ = './synthpairs-decoder_resnet18-cifar-w32_1xb32-adam-20e_ufg-demo.py'
