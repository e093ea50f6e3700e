# Linear evaluation with 50 % of the training labels: a class-stratified
# subset fixed by the seed (the same images for every encoder evaluated).
_base_ = ['./resnet50_linear-steplr-100e_cars.py']

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LabelSubsetDataset',
        fraction=0.5,
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))
