"""Config: a ConfigDict plus where it came from, with loading and dumping."""

from __future__ import annotations

import os
import os.path as osp

from .config_dict import ConfigDict, to_config_dict_stripped, to_config_value_stripped
from .parsing import (
    SUPPORTED_EXTS,
    expand_dotted,
    load_config,
    load_config_traced,
    merge_dicts,
    merge_value,
    unsupported_format_error,
)
from .pretty import pretty_text as _pretty_text

TYPE_CHECKING = False  # typing is not imported at runtime: it costs import time
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Iterator

RESERVED_KEYS = ('filename', 'text', 'pretty_text')


class Config:
    """A config: nested dict data with attribute access, loaded from a file or a dict.

    ``Config.fromfile`` reads ``.py``, ``.json``, ``.yaml`` and ``.yml`` files
    with ``_base_`` inheritance; ``cfg.key`` and ``cfg['key']`` read and write
    the data; ``dump``/``pretty_text`` write it back out as a standalone file.
    """

    __slots__ = ('_cfg_dict', '_filename', '_text', '_trace')

    def __init__(self, cfg_dict: dict | None = None, cfg_text: str | None = None,
                 filename: str | Path | None = None) -> None:
        if isinstance(filename, os.PathLike):
            filename = os.fspath(filename)
        if cfg_dict is None:
            cfg_dict = {}
        elif not isinstance(cfg_dict, dict):
            raise TypeError(f'cfg_dict must be a dict, but got {type(cfg_dict)}')
        for key in RESERVED_KEYS:
            if key in cfg_dict:
                raise KeyError(f'{key} is reserved for config file')
        if cfg_text:
            text = cfg_text
        elif filename:
            with open(filename, encoding='utf-8') as f:
                text = f.read()
        else:
            text = ''
        object.__setattr__(self, '_cfg_dict', ConfigDict(cfg_dict))
        object.__setattr__(self, '_filename', filename)
        object.__setattr__(self, '_text', text)
        object.__setattr__(self, '_trace', ())

    # ------------------------------------------------------------ loading
    @staticmethod
    def fromfile(filename: str | Path, use_predefined_variables: bool = True,
                 import_custom_modules: bool = True) -> Config:
        """Load a config file and its ``_base_`` files.

        ``filename`` may also be ``'pkg::path'``, a config shipped inside an
        installed package (looked up through its ``.mim/model-index.yml``
        first, then under ``.mim/configs``).
        """
        if isinstance(filename, os.PathLike):
            filename = os.fspath(filename)
        path = filename
        if '::' in filename:
            from .utils import external_config_path

            path = external_config_path(filename, use_model_index=True)[1]
            filename = path
        cfg_dict, text, trace = load_config_traced(path, use_predefined_variables)
        if import_custom_modules and cfg_dict.get('custom_imports'):
            _import_custom_modules(cfg_dict['custom_imports'], path, trace)
        return Config._from_merged(cfg_dict, text, filename, tuple(trace))

    @staticmethod
    def fromstring(cfg_str: str, file_format: str) -> Config:
        """Load a config from text; ``file_format`` is '.py', '.json', '.yaml' or '.yml'.

        The text is treated as a file in the temp directory (relative
        ``_base_`` entries resolve there); nothing is written to disk.
        """
        if file_format not in SUPPORTED_EXTS:
            raise unsupported_format_error(f'<string>{file_format}')
        if file_format != '.py' and 'dict(' in cfg_str:
            import warnings

            warnings.warn(f'Please check "file_format", the file format may be .py '
                          f'(got {file_format!r})', stacklevel=2)
        name = f'engine_config_{os.getpid()}_{id(cfg_str):x}{file_format}'
        import tempfile

        path = osp.join(tempfile.gettempdir(), name)
        cfg_dict, text, trace = load_config_traced(path, True, raw_text=cfg_str)
        if cfg_dict.get('custom_imports'):
            _import_custom_modules(cfg_dict['custom_imports'], path)
        # The temp path names no real file: provenance says '<string>' instead.
        trace[-1] = ('<string>' + file_format,) + trace[-1][1:]
        return Config._from_merged(cfg_dict, text, path, tuple(trace))

    @staticmethod
    def _from_merged(cfg_dict: dict, text: str, filename: str | None,
                     trace: tuple = ()) -> Config:
        """A Config from a freshly merged dict: one conversion, ``_delete_`` dropped."""
        for key in RESERVED_KEYS:
            if key in cfg_dict:
                raise KeyError(f'{key} is reserved for config file ({filename})')
        cfg = Config.__new__(Config)
        object.__setattr__(cfg, '_cfg_dict', to_config_dict_stripped(cfg_dict))
        object.__setattr__(cfg, '_filename', filename)
        object.__setattr__(cfg, '_text', text)
        object.__setattr__(cfg, '_trace', trace)
        return cfg

    @staticmethod
    def auto_argparser(description: str | None = None) -> tuple[Any, Config]:
        """Experimental: a parser with one ``--<dotted.key>`` option per config value.

        The positional ``config`` argument is read from ``sys.argv`` first.
        """
        from argparse import ArgumentParser

        partial = ArgumentParser(description=description)
        partial.add_argument('config', help='config file path')
        cfg_file = partial.parse_known_args()[0].config
        cfg = Config.fromfile(cfg_file)
        parser = ArgumentParser(description=description)
        parser.add_argument('config', help='config file path')
        _add_args(parser, cfg)
        return parser, cfg

    # Private helpers under the seed's names, for code written against them.
    @staticmethod
    def _file2dict(filename: str, use_predefined_variables: bool = True) -> tuple[dict, str]:
        """``(merged dict, text)`` of a config file, without building a Config."""
        cfg_dict, text = load_config(os.fspath(filename), use_predefined_variables)
        return to_config_dict_stripped(cfg_dict), text

    @staticmethod
    def _merge_a_into_b(a: dict, b: Any, allow_list_keys: bool = False) -> Any:
        """``a`` merged over ``b`` by the inheritance rules; neither is modified."""
        merged = merge_value('', a, b, allow_list_keys) if isinstance(b, list) else merge_dicts(
            a, b, allow_list_keys)
        return to_config_value_stripped(merged)

    # ------------------------------------------------------------ output
    @property
    def filename(self) -> str | None:
        """The path given to the constructor or ``fromfile``, unchanged."""
        return self._filename

    @property
    def text(self) -> str:
        """Raw text of the file and its bases, each after its absolute path."""
        return self._text

    @property
    def pretty_text(self) -> str:
        """Python source that rebuilds this config (PEP 8 layout)."""
        return _pretty_text(self._cfg_dict)

    def dump(self, file: str | Path | None = None) -> str | bytes | None:
        """Return (``file=None``) or write the config as .py, .json, .yaml/.yml or .pkl.

        With no file, the format follows ``filename`` (Python if it is None).
        Files are written to a temp file next to the target, then renamed.
        """
        if file is None:
            if self.filename is None or self.filename.endswith('.py'):
                return self.pretty_text
            return _serialise(self.to_dict(), osp.splitext(self.filename)[1])
        file = os.fspath(file)
        ext = osp.splitext(file)[1]
        content = self.pretty_text if ext == '.py' else _serialise(self.to_dict(), ext)
        _atomic_write(file, content)
        return None

    def merge_from_dict(self, options: dict, allow_list_keys: bool = True, *,
                        source: str | None = None) -> None:
        """Merge dotted-key options into the config, in place.

        ``{'model.backbone.depth': 50}`` sets one nested value; with
        ``allow_list_keys`` a digit part indexes a list
        (``'pipeline.0.type'``). Dicts merge, other values replace.
        ``source`` labels these values in :meth:`source_of` and ``explain``:
        by default the option name for a dict parsed by ``DictAction``
        (``'--cfg-options'``), else ``'merge_from_dict'``.
        """
        tree = expand_dotted(options)
        cfg_dict = self._cfg_dict
        merged = merge_dicts(tree, cfg_dict, allow_list_keys)
        for key in tree:
            dict.__setitem__(cfg_dict, key, to_config_value_stripped(merged[key]))
        if source is None:
            source = getattr(options, 'option_string', None) or 'merge_from_dict'
        object.__setattr__(self, '_trace', self._trace + ((source, None, tree),))

    # ------------------------------------------------------------ provenance
    @property
    def provenance(self) -> dict[str, str]:
        """``{'dotted.key': 'file:line'}`` for every leaf: where it was set last.

        Sources are a config file with the line of the value (``path:12``),
        or the label of a :meth:`merge_from_dict` call (``'--cfg-options'``).
        Leaves are as in :func:`engine.config.explain`; values assigned on the
        Config after loading keep the source of what they replaced.
        """
        from .provenance import Explainer, leaves

        explainer = Explainer(self._trace)
        return {'.'.join(map(str, path)): explainer.source(path) or '(set in code)'
                for path, _ in leaves(self._cfg_dict)}

    def source_of(self, key: str) -> str:
        """Where the value at dotted ``key`` was set last (``'file:line'`` or a label).

        For a dict, the source that created or replaced it. Raises KeyError
        when the config has no such key.
        """
        from .provenance import Explainer

        path: list = []
        node: Any = self._cfg_dict
        for part in str(key).split('.'):
            if isinstance(node, dict) and part in node:
                node = node[part]
                path.append(part)
            elif isinstance(node, (list, tuple)) and part.isdecimal() and int(part) < len(node):
                node = node[int(part)]
                path.append(int(part))
            else:
                raise KeyError(f'{key!r} is not in the config ({part!r} not found at '
                               f'{".".join(map(str, path)) or "the top level"})')
        return Explainer(self._trace).source(tuple(path)) or '(set in code)'

    # ------------------------------------------------------------ access
    def __getattr__(self, name: str) -> Any:
        if name in Config.__slots__:
            raise AttributeError(name)
        return getattr(self._cfg_dict, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, dict):
            value = ConfigDict(value)
        self._cfg_dict.__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._cfg_dict, name)

    def __getitem__(self, name: Any) -> Any:
        return self._cfg_dict[name]

    def __setitem__(self, name: Any, value: Any) -> None:
        if isinstance(value, dict):
            value = ConfigDict(value)
        self._cfg_dict[name] = value

    def __delitem__(self, name: Any) -> None:
        del self._cfg_dict[name]

    def __iter__(self) -> Iterator:
        return iter(self._cfg_dict)

    def __len__(self) -> int:
        return len(self._cfg_dict)

    def __contains__(self, name: Any) -> bool:
        return name in self._cfg_dict

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Config):
            return self._cfg_dict == other._cfg_dict
        if isinstance(other, dict):
            return self._cfg_dict == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    def __repr__(self) -> str:
        return f'Config (path: {self.filename}): {self._cfg_dict.__repr__()}'

    def __dir__(self) -> list:
        return sorted(set(object.__dir__(self)) | set(dir(self._cfg_dict)))

    # ------------------------------------------------------------ copying
    def __getstate__(self) -> tuple:
        return (self._cfg_dict, self._filename, self._text)

    def __setstate__(self, state: tuple) -> None:
        # Pickles leave the provenance trace out: it holds every file's source.
        cfg_dict, filename, text = state
        object.__setattr__(self, '_cfg_dict', cfg_dict)
        object.__setattr__(self, '_filename', filename)
        object.__setattr__(self, '_text', text)
        object.__setattr__(self, '_trace', ())

    def __copy__(self) -> Config:
        other = Config.__new__(Config)
        other.__setstate__(self.__getstate__())
        object.__setattr__(other, '_trace', self._trace)
        return other

    def __deepcopy__(self, memo: dict) -> Config:
        import copy

        other = Config.__new__(Config)
        memo[id(self)] = other
        other.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        object.__setattr__(other, '_trace', self._trace)  # immutable record: shared
        return other


def _import_custom_modules(custom_imports: Any, path: str, trace: Any = None) -> None:
    from engine.utils import import_modules_from_strings

    if not isinstance(custom_imports, dict):
        raise TypeError(f'custom_imports in {path} must be a dict like '
                        f"dict(imports=['my_module'], allow_failed_imports=False), "
                        f'but got {custom_imports!r}')
    try:
        import_modules_from_strings(**custom_imports)
    except ImportError as err:
        where = path
        if trace:  # the file (and line) that set it: often a _base_ file, not `path`
            from .provenance import Explainer

            where = Explainer(trace).source(('custom_imports',)) or path
        raise ImportError(f'Failed to custom import! ({err}; custom_imports set at {where}, '
                          f'loading {path}; the modules must be importable: on sys.path or '
                          'in an installed package)') from err


def _serialise(obj: dict, ext: str) -> str | bytes:
    from . import formats

    if ext == '.json':
        return formats.dump_json(obj)
    if ext in ('.yaml', '.yml'):
        return formats.dump_yaml(obj)
    if ext in ('.pkl', '.pickle'):
        # engine.fileio.dump's formats (as the reference dumps through it).
        import pickle

        return pickle.dumps(obj)
    raise TypeError(f'Unsupported format {ext!r} to dump a config: use .py, .json, .yaml, '
                    '.yml, .pkl or .pickle')


def _atomic_write(file: str, content: str | bytes) -> None:
    """Write via a temp file in the same folder, so no half-written file remains."""
    import tempfile

    folder = osp.dirname(osp.abspath(file))
    fd, tmp = tempfile.mkstemp(prefix='.tmp_', suffix=osp.basename(file), dir=folder)
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, 'wb') as f:
                f.write(content)
        else:
            with os.fdopen(fd, 'w', encoding='utf-8') as f:
                f.write(content)
        os.replace(tmp, file)
    except BaseException:
        if osp.exists(tmp):
            os.unlink(tmp)
        raise


def _add_args(parser: Any, cfg: Any, prefix: str = '') -> Any:
    """Add ``--<prefix><key>`` options for each value of ``cfg`` (auto_argparser)."""
    for key, value in cfg.items():
        name = f'--{prefix}{key}'
        if isinstance(value, str):
            parser.add_argument(name)
        elif isinstance(value, bool):
            parser.add_argument(name, action='store_true')
        elif isinstance(value, (int, float)):
            parser.add_argument(name, type=type(value))
        elif isinstance(value, dict):
            _add_args(parser, value, f'{prefix}{key}.')
        elif isinstance(value, (list, tuple)) and value:
            parser.add_argument(name, type=type(value[0]), nargs='+')
        else:
            print(f'cannot parse key {prefix + key} of type {type(value)}')
    return parser


def __getattr__(name: str) -> Any:
    # The reference defines DictAction in this module too; argparse loads on first use.
    if name == 'DictAction':
        from .dict_action import DictAction

        return DictAction
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
