"""Two iris rows used across runtime tests, as an array and as a CSV request body."""

import numpy as np

ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
CSV_BODY = b"5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3"
