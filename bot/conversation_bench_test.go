package bot

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkConversationsAppend is the cost of saving one answer's turn
// with 1,000 live conversations (a busy day's threads).
func BenchmarkConversationsAppend(b *testing.B) {
	c, err := OpenConversations(b.TempDir(), 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	turn := func(i int) Turn {
		return Turn{Question: fmt.Sprintf("What did Lavrov say about Putin's residence, question %d?", i),
			Articles: []string{"002_8c35132417f41974", "003_37c6020937afcbb6"}, At: time.Now()}
	}
	for i := range 1000 {
		if err := c.Append(fmt.Sprintf("slack:C1:%d.0", i), turn(i)); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; b.Loop(); i++ {
		if err := c.Append(fmt.Sprintf("slack:C1:%d.0", i%1000), turn(i)); err != nil {
			b.Fatal(err)
		}
	}
}
