"""engine.dist: distributed communication that also runs in a single process.

Every collective falls back to its one-process answer when no process group
is initialised, so code written for distributed training runs unchanged on a
laptop.
"""

from .dist import (
    ReduceOp,
    all_gather,
    all_gather_object,
    all_reduce,
    all_reduce_dict,
    all_reduce_params,
    broadcast,
    broadcast_object_list,
    collect_results,
    collect_results_cpu,
    collect_results_gpu,
    gather,
    gather_object,
    sync_random_seed,
)
from .utils import (
    barrier,
    cast_data_device,
    get_backend,
    get_comm_device,
    get_data_device,
    get_default_group,
    get_dist_info,
    get_local_group,
    get_local_rank,
    get_local_size,
    get_rank,
    get_world_size,
    init_dist,
    init_local_group,
    is_distributed,
    is_main_process,
    master_only,
)

__version__ = "0.1.0"

__all__ = [
    'all_gather_object', 'all_reduce', 'all_gather', 'all_reduce_dict', 'collect_results',
    'collect_results_cpu', 'collect_results_gpu', 'gather', 'broadcast', 'gather_object',
    'sync_random_seed', 'broadcast_object_list', 'all_reduce_params', 'get_dist_info',
    'init_dist', 'init_local_group', 'get_backend', 'get_world_size', 'get_rank',
    'get_local_size', 'get_local_group', 'get_local_rank', 'is_main_process', 'master_only',
    'barrier', 'is_distributed', 'get_default_group', 'get_data_device', 'get_comm_device',
    'cast_data_device'
]
# ReduceOp (torch's, for the seed's `dist.all_reduce(data, op=dist.ReduceOp.SUM)`)
# is an attribute but not in __all__, which matches the seed's list exactly.
