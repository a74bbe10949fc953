# The digits demo with AdamW, no weight decay on biases, and gradient clipping:
# a child config overriding a few nested keys of config.py.
#   engine train examples/digits/config_adamw.py --cfg-options train_cfg.max_epochs=5
_base_ = ['./config.py']

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=3e-3, weight_decay=0.01),
    paramwise_cfg=dict(bias_decay_mult=0.0),
    clip_grad=dict(max_norm=5.0))
work_dir = './work_dirs/digits_adamw'
