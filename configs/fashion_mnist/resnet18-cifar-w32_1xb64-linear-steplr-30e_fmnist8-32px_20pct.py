# Linear evaluation with 20 % of the labelled images: a class-stratified
# subset fixed by the seed (the same images for every encoder evaluated).
_base_ = ['./resnet18-cifar-w32_1xb64-linear-steplr-30e_fmnist8-32px.py']

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LabelSubsetDataset',
        fraction=0.2,
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))
