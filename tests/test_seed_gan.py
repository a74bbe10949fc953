"""The seed's GAN tutorial (§25), run as written.

What stands in for the tutorials' downloads, and the other changes, are listed in
``tutorial_standins.py``.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
import torch.nn as nn

pytestmark = pytest.mark.usefixtures('in_tmp_dir')


# --- §25: training a GAN -------------------------------------------------------------

def test_gan_tutorial():
    import torch.nn.functional as F

    from engine.dataset import BaseDataset
    from engine.model import BaseModel, ImgDataPreprocessor
    from engine.optim import OptimWrapper, OptimWrapperDict
    from engine.runner import Runner

    def to_tensor(img):  # mmcv.transforms.to_tensor for a NumPy array
        return torch.from_numpy(img)

    def MNIST(root, train=True, download=False):  # noqa: N802 (torchvision's name)
        rng = np.random.default_rng(0 if train else 1)
        return [(rng.integers(0, 256, (28, 28), dtype=np.uint8), int(rng.integers(10)))
                for _ in range(80)]

    def random_split(dataset, lengths):  # torch's, for the 80-sample stand-in
        return dataset[:lengths[0]], dataset[lengths[0]:]

    class MNISTDataset(BaseDataset):

        def __init__(self, data_root, pipeline, test_mode=False):
            if test_mode:
                mnist_full = MNIST(data_root, train=True, download=True)
                self.mnist_dataset, _ = random_split(mnist_full, [70, 10])
            else:
                self.mnist_dataset = MNIST(data_root, train=False, download=True)

            super().__init__(
                data_root=data_root, pipeline=pipeline, test_mode=test_mode)

        @staticmethod
        def totensor(img):
            if len(img.shape) < 3:
                img = np.expand_dims(img, -1)
            img = np.ascontiguousarray(img.transpose(2, 0, 1))
            return to_tensor(img)

        def load_data_list(self):
            return [
                dict(inputs=self.totensor(np.array(x[0]))) for x in self.mnist_dataset
            ]

    dataset = MNISTDataset("./data", [])

    NUM_WORKERS = int(os.cpu_count() / 2)
    BATCH_SIZE = 256 if torch.cuda.is_available() else 64

    train_dataloader = dict(
        batch_size=BATCH_SIZE,
        num_workers=NUM_WORKERS,
        persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dataset)
    train_dataloader = Runner.build_dataloader(train_dataloader)

    class Generator(nn.Module):
        def __init__(self, noise_size, img_shape):
            super().__init__()
            self.img_shape = img_shape
            self.noise_size = noise_size

            def block(in_feat, out_feat, normalize=True):
                layers = [nn.Linear(in_feat, out_feat)]
                if normalize:
                    layers.append(nn.BatchNorm1d(out_feat, 0.8))
                layers.append(nn.LeakyReLU(0.2, inplace=True))
                return layers

            self.model = nn.Sequential(
                *block(noise_size, 128, normalize=False),
                *block(128, 256),
                *block(256, 512),
                *block(512, 1024),
                nn.Linear(1024, int(np.prod(img_shape))),
                nn.Tanh(),
            )

        def forward(self, z):
            img = self.model(z)
            img = img.view(img.size(0), *self.img_shape)
            return img

    class Discriminator(nn.Module):
        def __init__(self, img_shape):
            super().__init__()

            self.model = nn.Sequential(
                nn.Linear(int(np.prod(img_shape)), 512),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Linear(512, 256),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Linear(256, 1),
                nn.Sigmoid(),
            )

        def forward(self, img):
            img_flat = img.view(img.size(0), -1)
            validity = self.model(img_flat)

            return validity

    generator = Generator(100, (1, 28, 28))
    discriminator = Discriminator((1, 28, 28))

    data_preprocessor = ImgDataPreprocessor(mean=[127.5], std=[127.5])

    def set_requires_grad(nets, requires_grad=False):
        if not isinstance(nets, list):
            nets = [nets]
        for net in nets:
            if net is not None:
                for param in net.parameters():
                    param.requires_grad = requires_grad

    class GAN(BaseModel):

        def __init__(self, generator, discriminator, noise_size,
                     data_preprocessor):
            super().__init__(data_preprocessor=data_preprocessor)
            assert generator.noise_size == noise_size
            self.generator = generator
            self.discriminator = discriminator
            self.noise_size = noise_size

        def train_step(self, data, optim_wrapper):
            inputs_dict = self.data_preprocessor(data, True)
            disc_optimizer_wrapper = optim_wrapper['discriminator']
            with disc_optimizer_wrapper.optim_context(self.discriminator):
                log_vars = self.train_discriminator(inputs_dict,
                                                    disc_optimizer_wrapper)

            set_requires_grad(self.discriminator, False)
            gen_optimizer_wrapper = optim_wrapper['generator']
            with gen_optimizer_wrapper.optim_context(self.generator):
                log_vars_gen = self.train_generator(inputs_dict,
                                                    gen_optimizer_wrapper)

            set_requires_grad(self.discriminator, True)
            log_vars.update(log_vars_gen)

            return log_vars

        def forward(self, batch_inputs, data_samples=None, mode=None):
            return self.generator(batch_inputs)

        def disc_loss(self, disc_pred_fake, disc_pred_real):
            losses_dict = dict()
            losses_dict['loss_disc_fake'] = F.binary_cross_entropy(
                disc_pred_fake, 0. * torch.ones_like(disc_pred_fake))
            losses_dict['loss_disc_real'] = F.binary_cross_entropy(
                disc_pred_real, 1. * torch.ones_like(disc_pred_real))

            loss, log_var = self.parse_losses(losses_dict)
            return loss, log_var

        def gen_loss(self, disc_pred_fake):
            losses_dict = dict()
            losses_dict['loss_gen'] = F.binary_cross_entropy(
                disc_pred_fake, 1. * torch.ones_like(disc_pred_fake))
            loss, log_var = self.parse_losses(losses_dict)
            return loss, log_var

        def train_discriminator(self, inputs, optimizer_wrapper):
            real_imgs = inputs['inputs']
            z = torch.randn(
                (real_imgs.shape[0], self.noise_size)).type_as(real_imgs)
            with torch.no_grad():
                fake_imgs = self.generator(z)

            disc_pred_fake = self.discriminator(fake_imgs)
            disc_pred_real = self.discriminator(real_imgs)

            parsed_losses, log_vars = self.disc_loss(disc_pred_fake,
                                                      disc_pred_real)
            optimizer_wrapper.update_params(parsed_losses)
            return log_vars

        def train_generator(self, inputs, optimizer_wrapper):
            real_imgs = inputs['inputs']
            z = torch.randn(real_imgs.shape[0], self.noise_size).type_as(real_imgs)

            fake_imgs = self.generator(z)

            disc_pred_fake = self.discriminator(fake_imgs)
            parsed_loss, log_vars = self.gen_loss(disc_pred_fake)

            optimizer_wrapper.update_params(parsed_loss)
            return log_vars

    model = GAN(generator, discriminator, 100, data_preprocessor)

    opt_g = torch.optim.Adam(generator.parameters(), lr=0.0001, betas=(0.5, 0.999))
    opt_g_wrapper = OptimWrapper(opt_g)

    opt_d = torch.optim.Adam(
        discriminator.parameters(), lr=0.0001, betas=(0.5, 0.999))
    opt_d_wrapper = OptimWrapper(opt_d)

    opt_wrapper_dict = OptimWrapperDict(
        generator=opt_g_wrapper, discriminator=opt_d_wrapper)

    before = {k: v.clone() for k, v in model.state_dict().items()}
    train_cfg = dict(by_epoch=True, max_epochs=2)  # seed: 220
    runner = Runner(
        model,
        work_dir='runs/gan/',
        train_dataloader=train_dataloader,
        train_cfg=train_cfg,
        optim_wrapper=opt_wrapper_dict)
    runner.train()

    # 80 samples, 2 epochs: batch 64 gives 2 iterations per epoch (256 on a GPU: 1)
    assert runner.iter == 2 * -(-80 // BATCH_SIZE)
    for name in ('generator.model.0.weight', 'discriminator.model.0.weight'):
        assert not torch.equal(before[name], model.state_dict()[name].cpu()), name
    hub = runner.message_hub
    for key in ('train/loss_disc_fake', 'train/loss_disc_real', 'train/loss_gen',
                'train/generator.lr', 'train/discriminator.lr'):
        assert hub.get_scalar(key).current() == pytest.approx(
            1e-4 if key.endswith('lr') else hub.get_scalar(key).current())
    ckpt = torch.load('runs/gan/epoch_2.pth', weights_only=True)
    assert set(ckpt['optimizer']) == {'generator', 'discriminator'}

    # resuming a GAN restores both optimizers
    runner2 = Runner(
        GAN(Generator(100, (1, 28, 28)), Discriminator((1, 28, 28)), 100,
            ImgDataPreprocessor(mean=[127.5], std=[127.5])),
        work_dir='runs/gan/',
        train_dataloader=dict(batch_size=BATCH_SIZE, sampler=dict(type='DefaultSampler',
                                                                  shuffle=True),
                              dataset=dataset),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=OptimWrapperDict(
            generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=0.1)),
            discriminator=OptimWrapper(torch.optim.Adam(model.discriminator.parameters(),
                                                        lr=0.1))),
        resume=True)
    runner2.train()  # already finished: resumes at epoch 2 and stops
    assert runner2.epoch == 2
    assert runner2.optim_wrapper['generator'].get_lr()['lr'] == [pytest.approx(1e-4)]

    z = torch.randn(64, 100, device=next(model.parameters()).device)  # the Runner's device
    img = model(z)
    assert img.shape == (64, 1, 28, 28)
    json.dumps(ckpt['meta'], default=str)  # meta is plain data
