"""Benchmark: Config.fromfile + pretty_text on a detector-like config tree.

Builds, in a temp dir, four base files (model, dataset, schedule, runtime) and
a child that inherits them, uses ``_delete_`` and a ``{{_base_.x}}``
reference. Times ``Config.fromfile`` (first load in a process, with every
file compiled, and a repeated load, which reuses the compiled code) and
``Config.pretty_text`` and ``engine.config.explain`` (provenance, computed
on demand: loading only keeps a per-file trace), and runs baselines side by
side: plain ``compile`` + ``exec`` of the same five files plus a json round
trip of the merged dict (the least any Python-config loader must do), and
``json.dumps`` of the config.

Run: hatch run python tools/bench/config_parse.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import timeit

MODEL = '''
model = dict(
    type='TwoStageDetector',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=5),
    rpn_head=dict(
        type='RPNHead',
        in_channels=256,
        feat_channels=256,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[8],
            ratios=[0.5, 1.0, 2.0],
            strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=256,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=80,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0.0, 0.0, 0.0, 0.0],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,
                neg_iou_thr=0.3,
                min_pos_iou=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=256,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=2000,
            max_per_img=1000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=512,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=1000,
            max_per_img=1000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.5),
            max_per_img=100)))
'''

DATASET = '''
dataset_type = 'CocoDataset'
data_root = 'data/coco/'
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val2017.json',
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator
'''

SCHEDULE = '''
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=16)
'''

RUNTIME = '''
default_scope = 'mmdet'
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
'''

CHILD = '''
_base_ = [
    '../_base_/models/faster_rcnn_r50_fpn.py',
    '../_base_/datasets/coco_detection.py',
    '../_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(depth=101, norm_cfg=dict(_delete_=True, type='GN', num_groups=32)),
    roi_head=dict(bbox_head=dict(num_classes=8)))
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=0.0001, weight_decay=0.05))
test_pipeline = {{_base_.train_pipeline}}
work_dir = './work_dirs/{{fileBasenameNoExtension}}'
'''

FILES = {
    '_base_/models/faster_rcnn_r50_fpn.py': MODEL,
    '_base_/datasets/coco_detection.py': DATASET,
    '_base_/schedules/schedule_1x.py': SCHEDULE,
    '_base_/default_runtime.py': RUNTIME,
    'faster_rcnn/faster_rcnn_r101_gn_fpn_1x.py': CHILD,
}


def build_tree(root: str) -> str:
    """Write the five files under ``root``; return the child's path."""
    for rel, text in FILES.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
    return os.path.join(root, 'faster_rcnn/faster_rcnn_r101_gn_fpn_1x.py')


def baseline(root: str) -> str:
    """Read and exec each file, merge top-level keys, json round trip."""
    merged: dict = {}
    for rel in FILES:
        with open(os.path.join(root, rel), encoding='utf-8') as f:
            src = f.read()
        if rel.startswith('faster_rcnn'):
            src = src.replace('{{_base_.train_pipeline}}', 'None')
            src = src.replace('{{fileBasenameNoExtension}}', 'x')
        ns: dict = {}
        exec(compile(src, rel, 'exec'), ns)
        merged.update((k, v) for k, v in ns.items() if not k.startswith('__'))
    merged.pop('_base_', None)
    return json.dumps(json.loads(json.dumps(merged)))


def best(fn, repeat: int) -> float:
    """Best of ``repeat`` runs, in seconds (each run loops enough for ~20 ms)."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, number // 10)
    return min(timer.repeat(repeat=repeat, number=number)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=15)
    args = parser.parse_args()

    from engine.config import Config, explain, parsing

    def fromfile_cold(path):
        parsing._CODE_CACHE.clear()  # as on the first load in a process
        return Config.fromfile(path)

    with tempfile.TemporaryDirectory() as root:
        child = build_tree(root)
        cfg = Config.fromfile(child)
        text = cfg.pretty_text
        reloaded = Config.fromstring(text, '.py')
        assert reloaded.to_dict() == cfg.to_dict(), 'pretty_text did not round-trip'

        t_base = best(lambda: baseline(root), args.repeat)
        t_cold = best(lambda: fromfile_cold(child), args.repeat)
        t_load = best(lambda: Config.fromfile(child), args.repeat)
        t_pretty = best(lambda: cfg.pretty_text, args.repeat)
        t_json = best(lambda: json.dumps(cfg.to_dict()), args.repeat)
        t_explain = best(lambda: explain(cfg), args.repeat)

    print(f'config tree: 4 bases + child, {len(text.splitlines())} lines of pretty_text')
    print(f'baseline exec+merge+json      {t_base * 1e3:8.3f} ms')
    print(f'Config.fromfile, first load   {t_cold * 1e3:8.3f} ms   '
          f'x{t_cold / t_base:5.2f} of baseline   (compiles every file)')
    print(f'Config.fromfile, again        {t_load * 1e3:8.3f} ms   '
          f'x{t_load / t_base:5.2f} of baseline   (target < 2.5 ms; compiled code cached)')
    print(f'json.dumps(cfg.to_dict())     {t_json * 1e3:8.3f} ms')
    print(f'Config.pretty_text            {t_pretty * 1e3:8.3f} ms   '
          f'x{t_pretty / t_json:5.2f} of json.dumps  (target < 5 ms)')
    print(f'engine.config.explain(cfg)    {t_explain * 1e3:8.3f} ms   '
          f'x{t_explain / t_load:5.2f} of fromfile   (on demand: parses each file for lines)')


if __name__ == '__main__':
    main()
