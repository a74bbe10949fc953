"""CheckpointHook driven by a real Runner (HOOK-08..13, CKPT-10)."""

from __future__ import annotations

import os.path as osp

import pytest
import torch
from runner_toys import CrashAt, toy_runner_cfg

from engine.hooks import CheckpointHook, Hook
from engine.runner import Runner, find_latest_checkpoint


def _loader(size: int, batch_size: int = 4) -> dict:
    return dict(dataset=dict(type='ToyDataset', size=size),
                sampler=dict(type='DefaultSampler', shuffle=False),
                batch_size=batch_size, num_workers=0)


def small_cfg(work_dir, epochs: int = 1, train_size: int = 4, scores=None, **overrides):
    """One batch per epoch; validation only when ``scores`` is given."""
    cfg = toy_runner_cfg(work_dir, train_dataloader=_loader(train_size),
                         train_cfg=dict(by_epoch=True, max_epochs=epochs),
                         param_scheduler=None, test_dataloader=None, test_cfg=None,
                         test_evaluator=None, default_hooks=dict(logger=None))
    if scores is None:
        cfg.update(val_dataloader=None, val_cfg=None, val_evaluator=None)
    else:
        cfg.update(val_dataloader=_loader(4),
                   val_evaluator=dict(type='ScriptedMetric', scores=scores))
    cfg.update(overrides)
    return cfg


def _pth(folder) -> list:
    return sorted(p.name for p in folder.glob('*.pth'))


def _log(runner) -> str:
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        return f.read()


# -------------------------------------------------------------- periodic
def test_max_keep_ckpts_doc_example(tmp_path):
    # §7.1.1: interval=5, max_keep_ckpts=2 over 20 epochs
    runner = Runner(**small_cfg(tmp_path, epochs=20, default_hooks=dict(
        logger=None, checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))))
    runner.train()
    assert _pth(tmp_path) == ['epoch_15.pth', 'epoch_20.pth']
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_20.pth')


def test_max_keep_ckpts_holds_across_a_crash_and_resume(tmp_path):
    # the files to delete follow from the step, not from a list the crash would lose
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', interval=2,
                                              max_keep_ckpts=2))
    with pytest.raises(RuntimeError, match='simulated crash'):
        Runner(**small_cfg(tmp_path, epochs=10, default_hooks=hooks,
                           custom_hooks=[CrashAt(7)])).train()  # epoch 7: 1 batch an epoch
    assert _pth(tmp_path) == ['epoch_4.pth', 'epoch_6.pth']
    resumed = Runner(**small_cfg(tmp_path, epochs=10, default_hooks=hooks, resume=True))
    resumed.train()
    assert resumed.epoch == 10
    assert _pth(tmp_path) == ['epoch_10.pth', 'epoch_8.pth']


def test_a_failed_run_logs_where_it_stopped_and_the_checkpoint_to_resume_from(tmp_path):
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', interval=2))
    runner = Runner(**small_cfg(tmp_path, epochs=5, default_hooks=hooks, log_level='INFO',
                                custom_hooks=[CrashAt(3)]))
    with pytest.raises(RuntimeError, match='simulated crash'):
        runner.train()
    assert ('Training stopped in iteration 4/5, epoch 4/5 by RuntimeError: simulated crash '
            f'at iteration 3. The latest checkpoint is {tmp_path / "epoch_2.pth"}: run again '
            'with resume=True') in _log(runner)
    # before any checkpoint, and interrupted by the user
    runner = Runner(**small_cfg(tmp_path / 'b', epochs=5, default_hooks=hooks,
                                log_level='INFO', custom_hooks=[_Interrupt()]))
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    assert ('Training stopped in iteration 1/5, epoch 1/5 by KeyboardInterrupt. No checkpoint '
            'was saved before it.') in _log(runner)


class _Interrupt(Hook):
    def before_train_iter(self, runner, batch_idx, data_batch=None):
        raise KeyboardInterrupt


def test_interval_and_save_last(tmp_path):
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', interval=3))
    runner = Runner(**small_cfg(tmp_path / 'a', epochs=7, default_hooks=hooks,
                                log_level='INFO'))
    runner.train()
    assert _pth(tmp_path / 'a') == ['epoch_3.pth', 'epoch_6.pth', 'epoch_7.pth']
    log = _log(runner)
    assert 'Saving checkpoint at 3 epochs' in log and 'Saving checkpoint at 7 epochs' in log
    assert 'Saving checkpoint at 4 epochs' not in log
    assert f'Checkpoints will be saved to {tmp_path / "a"}' in log

    hooks['checkpoint'] = dict(type='CheckpointHook', interval=3, save_last=False)
    Runner(**small_cfg(tmp_path / 'b', epochs=7, default_hooks=hooks)).train()
    assert _pth(tmp_path / 'b') == ['epoch_3.pth', 'epoch_6.pth']

    # interval=-1: only the last one
    hooks['checkpoint'] = dict(type='CheckpointHook')
    Runner(**small_cfg(tmp_path / 'c', epochs=3, default_hooks=hooks)).train()
    assert _pth(tmp_path / 'c') == ['epoch_3.pth']


def test_max_keep_with_save_last_off_interval(tmp_path):
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', interval=2,
                                              max_keep_ckpts=1))
    Runner(**small_cfg(tmp_path, epochs=5, default_hooks=hooks)).train()
    # at 5 (save_last) the file of step 5 - 2 = 3 does not exist, so epoch_4 stays
    assert _pth(tmp_path) == ['epoch_4.pth', 'epoch_5.pth']


def test_iter_based_saving(tmp_path):
    base = dict(train_cfg=dict(by_epoch=False, max_iters=12),
                log_processor=dict(by_epoch=False), log_level='INFO')
    hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5),
                 logger=dict(type='LoggerHook', interval=5))
    runner = Runner(**small_cfg(tmp_path / 'a', default_hooks=hooks, **base))
    runner.train()
    assert _pth(tmp_path / 'a') == ['iter_10.pth', 'iter_12.pth', 'iter_5.pth']
    assert runner.iter == 12 and runner.max_epochs == 1
    log = _log(runner)
    assert 'Saving checkpoint at 5 iterations' in log
    assert 'Iter(train) [5/12]' in log and 'Iter(train) [10/12]' in log
    ckpt = torch.load(tmp_path / 'a' / 'iter_5.pth', weights_only=True)
    assert ckpt['meta']['iter'] == 5

    hooks['checkpoint'] = dict(type='CheckpointHook', by_epoch=False, interval=5,
                               save_last=False, filename_tmpl='step{}.ckpt.pth')
    Runner(**small_cfg(tmp_path / 'b', default_hooks=hooks, **base)).train()
    assert _pth(tmp_path / 'b') == ['step10.ckpt.pth', 'step5.ckpt.pth']

    # the default (epoch-based) hook writes one epoch_1.pth at the end of iter-based training
    Runner(**small_cfg(tmp_path / 'c', default_hooks=dict(logger=None), **base)).train()
    assert _pth(tmp_path / 'c') == ['epoch_1.pth']


def test_options_changed_mid_run_take_effect_at_once(tmp_path):
    # the hook skips iterations until the next one due for a save; an option
    # assigned during training makes it check again from the next iteration
    class Change(Hook):
        priority = 'LOWEST'

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            hook = next(h for h in runner.hooks if isinstance(h, CheckpointHook))
            if runner.iter + 1 == 6:
                hook.interval = 2  # from iteration 7 on: 8, 10, 12
            if runner.iter + 1 == 11:
                hook.save_last = True

    base = dict(train_cfg=dict(by_epoch=False, max_iters=13), custom_hooks=[Change()])
    hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5,
                                 save_last=False))
    Runner(**small_cfg(tmp_path, default_hooks=hooks, **base)).train()
    assert sorted(_pth(tmp_path), key=lambda name: int(name[5:-4])) == [
        'iter_5.pth', 'iter_8.pth', 'iter_10.pth', 'iter_12.pth', 'iter_13.pth']


def test_out_dir_and_last_checkpoint(tmp_path):
    work_dir = tmp_path / 'work_dir' / 'cur_exp'
    out_dir = tmp_path / 'out'
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', interval=1,
                                              out_dir=str(out_dir), save_optimizer=False,
                                              max_keep_ckpts=1))
    runner = Runner(**small_cfg(work_dir, epochs=2, default_hooks=hooks, log_level='INFO'))
    runner.train()
    final = out_dir / 'cur_exp'
    assert _pth(final) == ['epoch_2.pth']
    assert _pth(work_dir) == []
    # last_checkpoint always lives in work_dir and holds the full path
    with open(work_dir / 'last_checkpoint') as f:
        assert f.read().strip() == str(final / 'epoch_2.pth')
    assert runner.message_hub.get_info('last_ckpt') == str(final / 'epoch_2.pth')
    assert f'Checkpoints will be saved to {final}' in _log(runner)
    ckpt = torch.load(final / 'epoch_2.pth', weights_only=True)
    assert 'optimizer' not in ckpt
    assert {'meta', 'state_dict', 'message_hub'} <= set(ckpt)
    assert ckpt['meta']['epoch'] == 2 and ckpt['meta']['iter'] == 2


def test_save_param_scheduler_flag_and_kwargs(tmp_path):
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', interval=1,
                                              save_param_scheduler=False,
                                              meta=dict(note='hello')))
    cfg = small_cfg(tmp_path, default_hooks=hooks,
                    param_scheduler=dict(type='MultiStepLR', milestones=[2]))
    Runner(**cfg).train()
    ckpt = torch.load(tmp_path / 'epoch_1.pth', weights_only=True)
    assert 'param_schedulers' not in ckpt and 'optimizer' in ckpt
    assert ckpt['meta']['note'] == 'hello'  # extra kwargs reach runner.save_checkpoint


# ------------------------------------------------------------ constructor
def test_constructor_errors_and_rule_inference():
    with pytest.raises(ValueError, match='Cannot infer the rule for key foo'):
        CheckpointHook(interval=1, save_best='foo')
    with pytest.raises(KeyError, match='rule must be greater, less or None'):
        CheckpointHook(interval=1, save_best='acc', rule='bigger')
    assert CheckpointHook(save_best='loss').rules == ['less']
    assert CheckpointHook(save_best='top-1').rules == ['greater']
    assert CheckpointHook(save_best='mIoU').rules == ['greater']
    assert CheckpointHook(save_best='bbox_mAP').rules == ['greater']
    assert CheckpointHook(save_best='ACC').rules == ['greater']  # case-insensitive
    assert CheckpointHook(save_best='acc', rule='less').rules == ['less']
    assert CheckpointHook(save_best=['acc', 'mIoU'], rule='greater').rules == ['greater'] * 2
    assert CheckpointHook(save_best=['FID', 'IS'], rule=['less', 'greater']).rules == \
        ['less', 'greater']
    # custom key lists replace the defaults
    assert CheckpointHook(save_best='fid', less_keys=['fid']).rules == ['less']
    assert CheckpointHook(save_best='score', greater_keys='score').rules == ['greater']
    with pytest.raises(ValueError, match='Cannot infer the rule for key acc'):
        CheckpointHook(save_best='acc', greater_keys=['mIoU'])
    with pytest.raises(AssertionError, match='duplicate'):
        CheckpointHook(save_best=['acc', 'acc'])
    with pytest.raises(AssertionError):
        CheckpointHook(save_best=['acc', 'mIoU'], rule=['less', 'greater', 'less'])
    with pytest.raises(AssertionError):
        CheckpointHook(save_best=['auto', 'acc'])
    with pytest.raises(AssertionError):
        CheckpointHook(save_best=3)
    with pytest.raises(ValueError, match='cannot be set at the same time'), \
            pytest.warns(DeprecationWarning):
        CheckpointHook(file_client_args=dict(backend='local'),
                       backend_args=dict(backend='local'))
    with pytest.raises(ValueError, match='filename_tmpl'):
        CheckpointHook(filename_tmpl='ckpt.pth')
    assert CheckpointHook(by_epoch=False).filename_tmpl == 'iter_{}.pth'
    assert CheckpointHook().filename_tmpl == 'epoch_{}.pth'
    assert CheckpointHook().interval == -1


# ------------------------------------------------------------------- best
def test_save_best_auto_keeps_one_best_file(tmp_path):
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', interval=1,
                                              save_best='auto'))
    runner = Runner(**small_cfg(tmp_path, epochs=3, scores={'accuracy': [0.5, 0.7, 0.6],
                                                            'mse': [1, 1, 1]},
                                default_hooks=hooks, log_level='INFO'))
    runner.train()
    assert [n for n in _pth(tmp_path) if n.startswith('best')] == ['best_accuracy_epoch_2.pth']
    hub = runner.message_hub
    assert hub.get_info('best_score') == 0.7
    assert hub.get_info('best_ckpt') == str(tmp_path / 'best_accuracy_epoch_2.pth')
    log = _log(runner)
    assert 'The best checkpoint with 0.7000 accuracy at 2 epoch is saved to ' \
        'best_accuracy_epoch_2.pth.' in log
    assert f'The previous best checkpoint {tmp_path / "best_accuracy_epoch_1.pth"} is ' \
        'removed' in log
    # best checkpoints carry no optimizer/scheduler state and do not move last_checkpoint
    best = torch.load(tmp_path / 'best_accuracy_epoch_2.pth', weights_only=True)
    assert 'optimizer' not in best and 'param_schedulers' not in best
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_3.pth')


def test_save_best_several_keys_and_rules(tmp_path):
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', save_best=['acc', 'loss'],
                                              less_keys=['loss']))
    scores = {'acc': [0.5, 0.4, 0.6], 'loss': [0.9, 0.8, 0.85]}
    runner = Runner(**small_cfg(tmp_path, epochs=3, scores=scores, default_hooks=hooks))
    runner.train()
    assert _pth(tmp_path) == ['best_acc_epoch_3.pth', 'best_loss_epoch_2.pth', 'epoch_3.pth']
    hub = runner.message_hub
    assert hub.get_info('best_score_acc') == 0.6
    assert hub.get_info('best_score_loss') == 0.8
    assert hub.get_info('best_ckpt_loss') == str(tmp_path / 'best_loss_epoch_2.pth')

    # an explicit rule wins over inference: 'acc' treated as lower-is-better
    hooks['checkpoint'] = dict(type='CheckpointHook', save_best='acc', rule='less')
    Runner(**small_cfg(tmp_path / 'less', epochs=3, scores=scores, default_hooks=hooks)).train()
    assert [n for n in _pth(tmp_path / 'less') if n.startswith('best')] == \
        ['best_acc_epoch_2.pth']


def test_save_best_iter_based_name(tmp_path):
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', by_epoch=False,
                                              interval=100, save_best='acc'))
    cfg = small_cfg(tmp_path, scores={'acc': [0.1, 0.3, 0.2]}, default_hooks=hooks,
                    train_cfg=dict(by_epoch=False, max_iters=6, val_interval=2))
    Runner(**cfg).train()
    assert [n for n in _pth(tmp_path) if n.startswith('best')] == ['best_acc_iter_4.pth']


def test_save_best_missing_metric_and_empty_metrics(tmp_path):
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', save_best='acc'))
    runner = Runner(**small_cfg(tmp_path, scores={'mse': [1.0]}, default_hooks=hooks))
    with pytest.raises(KeyError, match='acc'):
        runner.train()

    hook = CheckpointHook(save_best='acc')
    runner = Runner(**small_cfg(tmp_path / 'empty', log_level='INFO'))
    hook.before_train(runner)
    hook.after_val_epoch(runner, metrics={})
    hook.after_run(runner)  # driven by hand: hand SIGTERM back as Runner.train would
    assert 'the best checkpoint will be skipped' in _log(runner)
    assert _pth(tmp_path / 'empty') == []


def test_best_score_survives_resume(tmp_path):
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', interval=1,
                                              save_best='accuracy'))
    first = Runner(**small_cfg(tmp_path, epochs=3, scores={'accuracy': [0.5, 0.7, 0.6]},
                               default_hooks=hooks))
    first.train()
    assert [n for n in _pth(tmp_path) if n.startswith('best')] == ['best_accuracy_epoch_2.pth']

    # epoch 4 scores 0.65: below the restored best 0.7, nothing happens;
    # epoch 5 scores 0.8: new best, and the old best file (known from the hub) is removed
    second = Runner(**small_cfg(tmp_path, epochs=5, scores={'accuracy': [0.65, 0.8]},
                                default_hooks=hooks, resume=True))
    seen = []

    class _Probe(CheckpointHook.__mro__[1]):  # a plain Hook
        priority = 'LOWEST'

        def after_val_epoch(self, runner, metrics=None):
            seen.append((runner.epoch, runner.message_hub.get_info('best_score')))

    second.register_hook(_Probe())
    second.train()
    assert seen == [(4, 0.7), (5, 0.8)]
    assert [n for n in _pth(tmp_path) if n.startswith('best')] == ['best_accuracy_epoch_5.pth']


@pytest.mark.parametrize('option, value', [('interval', '1'), ('max_keep_ckpts', 1.5)])
def test_non_int_interval_or_count_is_rejected_naming_the_option(option, value):
    with pytest.raises(TypeError, match=f'CheckpointHook: {option} must be an int, but got '
                                        f'{value!r}'):
        CheckpointHook(**{option: value})
    import numpy as np
    assert getattr(CheckpointHook(**{option: np.int64(2)}), option) == 2  # numpy ints are ints
    hook = CheckpointHook(**{option: 1e9})  # so are whole floats (1e9: "never")
    assert getattr(hook, option) == 10**9 and type(getattr(hook, option)) is int


def test_extra_arguments_reach_save_checkpoint_and_a_misspelled_one_fails_before_training(
        tmp_path):
    hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, meta=dict(note='x')))
    cfg = toy_runner_cfg(tmp_path / 'a', train_cfg=dict(by_epoch=True, max_epochs=1),
                         default_hooks=hooks)
    Runner(**cfg).train()
    assert torch.load(tmp_path / 'a' / 'epoch_1.pth', weights_only=True)['meta']['note'] == 'x'

    hooks = dict(checkpoint=dict(type='CheckpointHook', intreval=1))
    runner = Runner(**toy_runner_cfg(tmp_path / 'b', default_hooks=hooks))
    with pytest.raises(TypeError, match=r"CheckpointHook passes \['intreval'\] to "
                                        r"runner.save_checkpoint, which refuses them: .*"
                                        r"'intreval'"):
        runner.train()
    assert runner.iter == 0 and _pth(tmp_path / 'b') == []  # not an epoch wasted


# ------------------------------------------- a validation the run never finished
class _Crash(Exception):
    pass


def _validations(runner) -> list:
    """Register a probe; return the list it fills with (epoch, iter) per validation."""
    seen = []

    class _Probe(CheckpointHook.__mro__[1]):  # a plain Hook
        priority = 'LOWEST'

        def after_val_epoch(self, runner, metrics=None):
            seen.append((runner.epoch, runner.iter))

    runner.register_hook(_Probe())
    return seen


def _crash_in(point: str, when):
    """A hook raising _Crash (a process dying) at ``point`` when ``when(runner)``."""
    class _Crasher(CheckpointHook.__mro__[1]):
        priority = 'HIGHEST'

    def crash(self, runner, *args, **kwargs):
        if when(runner):
            raise _Crash(point)

    setattr(_Crasher, point, crash)
    return _Crasher()


@pytest.mark.parametrize('epochs', [3, 2])  # 2: the final validation is the one lost
def test_a_validation_that_never_finished_runs_first_on_resume(tmp_path, epochs):
    hooks = dict(logger=None, checkpoint=dict(type='CheckpointHook', interval=1,
                                              save_best='accuracy'))
    first = Runner(**small_cfg(tmp_path, epochs=epochs, scores={'accuracy': [0.5]},
                               default_hooks=hooks))
    first.register_hook(_crash_in('after_val_iter', lambda r: r.epoch == 2))
    with pytest.raises(_Crash):
        first.train()
    assert (tmp_path / 'last_validation').read_text() == '1'  # epoch 1's finished

    # the resumed run's evaluations score 0.9 (epoch 2, again) and then 0.6
    second = Runner(**small_cfg(tmp_path, epochs=epochs, scores={'accuracy': [0.9, 0.6]},
                                default_hooks=hooks, resume=True))
    seen = _validations(second)
    second.train()
    # epoch 2's validation first (one batch per epoch: iteration 2), then epoch 3's
    assert seen == [(2, 2), (3, 3)][:epochs - 1]
    # and the best checkpoint it scores is not lost
    assert [n for n in _pth(tmp_path) if n.startswith('best')] == ['best_accuracy_epoch_2.pth']
    assert (tmp_path / 'last_validation').read_text() == str(epochs)


def test_a_finished_validation_is_not_repeated_on_resume(tmp_path):
    cfg = small_cfg(tmp_path, epochs=3, scores={'accuracy': [0.5]},
                    default_hooks=dict(logger=None))
    first = Runner(**cfg)
    seen_first = _validations(first)
    # dies in epoch 3's training, after epoch 2's validation finished
    first.register_hook(_crash_in('before_train_iter', lambda r: r.epoch == 2))
    with pytest.raises(_Crash):
        first.train()
    assert seen_first == [(1, 1), (2, 2)]
    second = Runner(**dict(cfg, resume=True))
    seen = _validations(second)
    second.train()
    assert seen == [(3, 3)]


def test_iteration_based_run_validates_first_after_a_lost_validation(tmp_path):
    cfg = small_cfg(tmp_path, scores={'accuracy': [0.5]},
                    train_cfg=dict(by_epoch=False, max_iters=6, val_interval=2),
                    default_hooks=dict(logger=None, checkpoint=dict(
                        type='CheckpointHook', interval=2, by_epoch=False)))
    first = Runner(**cfg)
    first.register_hook(_crash_in('after_val_iter', lambda r: r.iter == 4))
    with pytest.raises(_Crash):
        first.train()
    second = Runner(**dict(cfg, resume=True))
    seen = _validations(second)
    second.train()
    assert [it for _, it in seen] == [4, 6]


def test_validation_outside_training_leaves_the_mark_alone(tmp_path):
    runner = Runner(**small_cfg(tmp_path, epochs=1, scores={'accuracy': [0.5]},
                                default_hooks=dict(logger=None)))
    runner.train()
    assert (tmp_path / 'last_validation').read_text() == '1'
    (tmp_path / 'last_validation').write_text('0')
    runner.val()
    assert (tmp_path / 'last_validation').read_text() == '0'
