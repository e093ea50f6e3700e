# The demo retrieval evaluation on a tiny demo set.
_base_ = ['../../configs/demo/retrieval_r18_demo.py']

demo_spec = dict(num_classes=4, train_per_class=4, test_per_class=2)
test_dataloader = dict(batch_size=4, dataset=dict(demo_spec=demo_spec))
