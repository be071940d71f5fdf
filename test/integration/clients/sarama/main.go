// A Go client (Shopify sarama 1.22, Debian's golang-github-shopify-sarama-dev) against the Kafka
// listener, for test/integration/kafka-groups.test.ts: creates a topic, produces with acks=all,
// consumes it in a consumer group (commits by MarkMessage), then lists and describes the group and
// fetches its offsets. Prints one JSON line. sarama does not negotiate versions: Version 2.1.0, the
// oldest Kafka 4 still serves (KIP-896).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type handler struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(session sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for message := range claim.Messages() {
		h.mu.Lock()
		h.seen[string(message.Value)] = true
		h.mu.Unlock()
		session.MarkMessage(message, "")
	}
	return nil
}

func (h *handler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	brokers, topic, group := []string{os.Args[1]}, os.Args[2], os.Args[3]
	config := sarama.NewConfig()
	config.Version = sarama.V2_1_0_0
	config.Producer.Return.Successes = true
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Consumer.Offsets.Initial = sarama.OffsetOldest
	config.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	admin, err := sarama.NewClusterAdmin(brokers, config)
	must(err)
	must(admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 3}, false))
	producer, err := sarama.NewSyncProducer(brokers, config)
	must(err)
	for i := 0; i < 30; i++ {
		_, _, err := producer.SendMessage(&sarama.ProducerMessage{
			Topic: topic, Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.StringEncoder(fmt.Sprintf("go-%d", i)),
		})
		must(err)
	}
	must(producer.Close())
	h := &handler{seen: map[string]bool{}}
	consumers, err := sarama.NewConsumerGroup(brokers, group, config)
	must(err)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if err := consumers.Consume(ctx, []string{topic}, h); err != nil {
				fmt.Fprintln(os.Stderr, "consume:", err)
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	for ctx.Err() == nil && h.count() < 30 {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // one more commit interval
	cancel()
	must(consumers.Close())
	offsets, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0, 1, 2}})
	must(err)
	committed := int64(0)
	for _, block := range offsets.Blocks[topic] {
		committed += block.Offset
	}
	groups, err := admin.ListConsumerGroups()
	must(err)
	described, err := admin.DescribeConsumerGroups([]string{group})
	must(err)
	out, _ := json.Marshal(map[string]interface{}{
		"consumed":  h.count(),
		"committed": committed,
		"listed":    groups[group],
		"state":     described[0].State,
	})
	fmt.Println(string(out))
}
