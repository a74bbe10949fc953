# Train a small CNN on scikit-learn's handwritten digits (1,797 8x8 images).
#   hatch run demo                       # examples/digits/train.py: train, plot, print paths
#   engine train examples/digits/config.py --work-dir work_dirs/digits
#   engine test examples/digits/config.py work_dirs/digits/best_accuracy_epoch_10.pth

# The dataset, model and metric register themselves when imported; the
# modules sit next to this file (the `engine` command and train.py put this
# folder on sys.path).
custom_imports = dict(imports=['digits_dataset', 'digits_model', 'digits_metric'],
                      allow_failed_imports=False)

model = dict(type='DigitsCNN', channels=16)

_pipeline = [dict(type='PackDigitInputs')]
train_dataloader = dict(
    dataset=dict(type='DigitsDataset', split='train', pipeline=_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    batch_size=32,
    num_workers=0)
val_dataloader = dict(
    dataset=dict(type='DigitsDataset', split='val', pipeline=_pipeline, test_mode=True),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    batch_size=128,
    num_workers=0)
test_dataloader = val_dataloader  # the digits have no separate test split

train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=1)
val_cfg = dict()
test_cfg = dict()
val_evaluator = dict(type='Accuracy')
test_evaluator = val_evaluator

optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(type='CosineAnnealingLR', T_max=10, by_epoch=True)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=15),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2,
                    save_best='accuracy', rule='greater'),
)
visualizer = dict(type='Visualizer',
                  vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])

randomness = dict(seed=0)
work_dir = './work_dirs/digits'
