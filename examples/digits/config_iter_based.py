# The digits demo counted in iterations instead of epochs, with a linear warm-up:
# inherits everything from config.py and replaces only the schedule.
#   engine train examples/digits/config_iter_based.py
#   engine config examples/digits/config_iter_based.py     # the merged result
_base_ = ['./config.py']

# _delete_ drops the base's keys (by_epoch, max_epochs) instead of merging into them
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=450, val_interval=90)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=45),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=45, end=450, T_max=405),
]
# the base's sampler stops at each epoch's end; an iteration-based loop restarts it
train_dataloader = dict(sampler=dict(type='InfiniteSampler', shuffle=True))
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=180))
log_processor = dict(by_epoch=False)  # log lines read "Iter(train) [i/450]"
work_dir = './work_dirs/digits_iter_based'
