package cli

import (
	"testing"
	"time"
)

// TestFollowPollSchedule: a followed task is first asked for after 25 ms, then at
// intervals growing by half, reaching the half-second steady rate within two seconds and
// never passing it (before, every ask waited 500 ms, so a task that ended at once was
// seen ended half a second later).
func TestFollowPollSchedule(t *testing.T) {
	d, waited := followFirstPoll, time.Duration(0)
	for i := 0; i < 100; i++ {
		waited += d
		next := nextPoll(d)
		if next < d || next > followPoll {
			t.Fatalf("after %s the next wait is %s", d, next)
		}
		if d == followPoll {
			break
		}
		d = next
	}
	if d != followPoll || waited > 2*time.Second+followPoll {
		t.Errorf("the waits reach %s after %s in all", d, waited)
	}
	if followFirstPoll > 50*time.Millisecond {
		t.Errorf("the first ask waits %s", followFirstPoll)
	}
}
