import crlf1
if x:
    import crlf2

import crlf3
