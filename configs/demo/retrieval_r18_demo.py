_base_ = './resnet18-cifar-w32_retrieval_ufg-demo.py'
