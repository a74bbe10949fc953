"""Pure-Python utilities of engine (no torch, no numpy).

``engine.utils`` is owned by engine-registry; other distributions add
submodules to it (engine-dist ships ``engine.utils.dl_utils``), hence the
``extend_path`` below.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)  # type: ignore[name-defined]  # noqa: F821

from .manager import InstanceArgumentsError, InstanceNotCreatedError, ManagerMeta, ManagerMixin
from .misc import (
                   PrerequisiteError,
                   check_prerequisites,
                   concat_list,
                   deprecated_api_warning,
                   has_method,
                   import_modules_from_strings,
                   is_list_of,
                   is_method_overridden,
                   is_seq_of,
                   is_str,
                   is_tuple_of,
                   iter_cast,
                   list_cast,
                   requires_executable,
                   requires_package,
                   slice_list,
                   to_1tuple,
                   to_2tuple,
                   to_3tuple,
                   to_4tuple,
                   to_ntuple,
                   tuple_cast,
)
from .package_utils import (
                   PKG2PROJECT,
                   SCOPE_ENTRY_POINT_GROUP,
                   call_command,
                   get_installed_path,
                   get_scope_distributions,
                   get_scope_entry_point,
                   install_package,
                   is_installed,
                   package2module,
)
from .path import (
                   check_file_exist,
                   fopen,
                   is_abs,
                   is_filepath,
                   makedirs_or_exist,
                   mkdir_or_exist,
                   scandir,
                   symlink,
)
from .progressbar import ProgressBar, track_iter_progress, track_parallel_progress, track_progress
from .timer import Timer, TimerError, check_time
from .version_utils import digit_version, get_git_hash

__all__ = [
    'ManagerMeta', 'ManagerMixin', 'InstanceNotCreatedError', 'InstanceArgumentsError',
    'PrerequisiteError', 'check_prerequisites', 'concat_list', 'deprecated_api_warning',
    'has_method', 'import_modules_from_strings', 'is_list_of', 'is_method_overridden',
    'is_seq_of', 'is_str', 'is_tuple_of', 'iter_cast', 'list_cast', 'requires_executable',
    'requires_package', 'slice_list', 'to_1tuple', 'to_2tuple', 'to_3tuple', 'to_4tuple',
    'to_ntuple', 'tuple_cast',
    'PKG2PROJECT', 'SCOPE_ENTRY_POINT_GROUP', 'call_command', 'get_installed_path',
    'get_scope_distributions', 'get_scope_entry_point', 'install_package', 'is_installed',
    'package2module',
    'check_file_exist', 'fopen', 'is_abs', 'is_filepath', 'makedirs_or_exist', 'mkdir_or_exist',
    'scandir', 'symlink',
    'ProgressBar', 'track_iter_progress', 'track_parallel_progress', 'track_progress',
    'Timer', 'TimerError', 'check_time',
    'digit_version', 'get_git_hash',
]
