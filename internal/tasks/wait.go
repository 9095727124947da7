package tasks

import (
	"context"
	"time"
)

// MaxWait bounds how long WaitChange waits: a request that asks for more waits this.
const MaxWait = 10 * time.Second

// waitPoll is how often WaitChange reads the task again.
const waitPoll = 20 * time.Millisecond

// WaitChange returns task id once its state is not seen (a follower's last view), or
// after wait (at most MaxWait), or when ctx ends (with the task as last read): a follower
// asks with the state it has and is answered as soon as the task moves on, instead of on
// its next poll. The task is read every 20 ms meanwhile (one indexed read).
func WaitChange(ctx context.Context, q Queue, id int64, seen State, wait time.Duration) (*Task, error) {
	t, err := q.Get(ctx, id)
	if err != nil || seen == "" || wait <= 0 {
		return t, err
	}
	deadline := time.Now().Add(min(wait, MaxWait))
	tick := time.NewTicker(waitPoll)
	defer tick.Stop()
	for t.State == seen && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return t, nil
		case <-tick.C:
		}
		next, err := q.Get(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return t, nil
			}
			return nil, err
		}
		t = next
	}
	return t, nil
}
