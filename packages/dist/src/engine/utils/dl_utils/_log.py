"""Where dl_utils messages go, in the spirit of the seed's ``print_log``.

engine.logging lives in a higher layer, so this maps the ``logger`` argument
onto stdlib logging: None prints, ``'current'`` uses this package's logger
(MMLogger attaches to the ``engine`` logger and catches it), a name picks
that logger, ``'silent'`` drops the message.
"""

import logging
from typing import Optional, Union

_LOGGER = logging.getLogger('engine.utils.dl_utils')


def emit(msg: str, logger: Optional[Union[str, logging.Logger]] = None,
         level: int = logging.INFO) -> None:
    if logger is None:
        print(msg)
    elif isinstance(logger, logging.Logger):
        logger.log(level, msg)
    elif logger == 'silent':
        return
    elif logger == 'current':
        _LOGGER.log(level, msg)
    elif isinstance(logger, str):
        logging.getLogger(logger).log(level, msg)
    else:
        raise TypeError('logger should be None, a logging.Logger, "current", "silent" or a '
                        f'logger name, but got {type(logger)}')
