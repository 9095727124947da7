package strace

import (
	"bufio"
	"errors"
	"io"
)

// line is one line of input, bounded: head holds its first bytes (up to the reader's
// limit) and, when the line was longer (cut), tail holds its last bytes.
type line struct {
	head, tail []byte
	cut        bool
}

// lineReader splits input into bounded lines. It reads each byte once and copies at most
// max+2*tailMax bytes of a line, whatever its length.
type lineReader struct {
	br           *bufio.Reader
	max, tailMax int
	head, tail   []byte
}

func newLineReader(r io.Reader, max, tailMax int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max, tailMax: tailMax}
}

// next returns the next line without its line break; io.EOF after the last one. The
// line's bytes are valid until the next call.
func (lr *lineReader) next() (line, error) {
	lr.head, lr.tail = lr.head[:0], lr.tail[:0]
	cut := false
	for {
		chunk, err := lr.br.ReadSlice('\n')
		if room := lr.max - len(lr.head); room > 0 {
			n := min(room, len(chunk))
			lr.head = append(lr.head, chunk[:n]...)
			chunk = chunk[n:]
		}
		if len(chunk) > 0 {
			cut = true
			if len(chunk) >= lr.tailMax {
				lr.tail = append(lr.tail[:0], chunk[len(chunk)-lr.tailMax:]...)
			} else {
				lr.tail = append(lr.tail, chunk...)
				if len(lr.tail) > 2*lr.tailMax {
					n := copy(lr.tail, lr.tail[len(lr.tail)-lr.tailMax:])
					lr.tail = lr.tail[:n]
				}
			}
		}
		switch {
		case err == nil:
			return lr.finish(cut), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(lr.head) == 0 && !cut {
				return line{}, io.EOF
			}
			return lr.finish(cut), nil
		default:
			return line{}, err
		}
	}
}

func (lr *lineReader) finish(cut bool) line {
	l := line{head: lr.head, cut: cut}
	if cut {
		t := lr.tail
		if len(t) > lr.tailMax {
			t = t[len(t)-lr.tailMax:]
		}
		l.tail = trimEOL(t)
		if len(l.tail) == 0 && len(t) <= 2 { // only the line break was past the limit
			l.cut = false
		}
	} else {
		l.head = trimEOL(l.head)
	}
	return l
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}
