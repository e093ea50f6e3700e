# Linear evaluation with 50 % of the training labels: a class-stratified
# subset fixed by the seed (the same images for every encoder evaluated).
_base_ = ['./resnet18-cifar-w32_1xb16-linear-steplr-30e_ufg-demo.py']

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LabelSubsetDataset',
        fraction=0.5,
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))
