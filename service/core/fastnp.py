"""numpy helpers for the small arrays of one request (issue 16, session 12): the same results
as numpy's own functions, without their Python-level wrappers, which cost more than the work
on a vector of 20 nutrients or a catalog of 100 products.

- `nan_to_num(x, nan=0.0)`: `np.nan_to_num(x, nan=nan)` for a float64 array (NaN to `nan`,
  +inf and -inf to the largest finite floats, a new array); anything else goes to numpy's.
- `flatnonzero(x)`: `np.flatnonzero(x)`.
- `isin_int(values, codes)`: `np.isin(values, codes)` for integer arrays (membership by
  equality, what isin computes for integers).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_MAX = np.finfo(np.float64).max
_FLOAT = np.dtype(np.float64)
_where, _isnan, _isinf, _any = np.where, np.isnan, np.isinf, np.logical_or.reduce


def nan_to_num(x: np.ndarray, nan: float = 0.0) -> np.ndarray:
    if type(x) is not np.ndarray or x.dtype != _FLOAT:
        return np.nan_to_num(x, nan=nan)
    out = _where(_isnan(x), nan, x)
    # the masks from the input, as numpy's: NaN given as inf stays inf
    if _any(_isinf(x), axis=None):
        out[x == np.inf] = _MAX
        out[x == -np.inf] = -_MAX
    return out


def flatnonzero(x: np.ndarray) -> np.ndarray:
    if type(x) is np.ndarray:
        return x.ravel().nonzero()[0]
    return np.ravel(x).nonzero()[0]


def isin_int(values: np.ndarray, codes: Sequence[int] | np.ndarray) -> np.ndarray:
    codes = np.asarray(codes)
    if values.dtype.kind not in "iu" or codes.dtype.kind not in "iu" or values.ndim != 1:
        return np.isin(values, codes)
    if codes.size == 0:
        return np.zeros(values.shape, dtype=bool)
    return (values[:, None] == codes.ravel()[None, :]).any(axis=1)
