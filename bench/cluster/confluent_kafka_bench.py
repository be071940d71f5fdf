#!/usr/bin/python3
"""The Kafka-protocol side of `npm run bench` with confluent-kafka (librdkafka), Debian's python3-confluent-kafka.

  produce: produce as fast as the producer's queue allows for --warmup-seconds (not measured) then --seconds, configured as a Kafka user
           would (linger.ms, batching, acks); every delivery report's latency (produce() to the ack,
           librdkafka's own Message.latency()) goes to --out as int32 pairs (ms since the start, latency in us).
  consume: read --records records of every partition from the beginning, assigned (no group), and report
           the time it took.

Progress and the result are JSON lines on stdout; the benchmark (bench/cluster/kafka-clients.ts) reads them.
"""
import argparse
import array
import json
import os
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING


def say(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def produce(args):
    producer = Producer({
        "bootstrap.servers": args.bootstrap,
        "acks": args.acks,
        "linger.ms": args.linger_ms,
        "batch.num.messages": 10000,
        # The bound on records waiting for their ack: the same number of records in flight as the REST
        # paths' requests, so that latencies are those of the same load, not of an unbounded queue.
        "queue.buffering.max.messages": args.max_in_flight,
        "enable.idempotence": False,
        "compression.type": "none",
    })
    value = os.urandom(args.bytes)
    latencies = array.array("i")
    ends = array.array("i")
    # "acked"/"failed": every delivery (the progress line); "measured": those produced after the warm-up.
    counts = {"acked": 0, "failed": 0, "measured_acked": 0, "measured_failed": 0}
    started = time.monotonic()
    measured_from = started + args.warmup_seconds

    def delivered(error, message):
        now = time.monotonic()
        latency = message.latency()
        measured = latency is not None and now - latency >= measured_from
        if error is not None:
            counts["failed"] += 1
            counts["measured_failed"] += 1 if measured else 0
            return
        counts["acked"] += 1
        if not measured:
            return
        counts["measured_acked"] += 1
        latencies.append(int(latency * 1_000_000))
        ends.append(int((now - measured_from) * 1000))

    deadline = measured_from + args.seconds
    next_report = started + 1
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        if now >= next_report:
            say(acked=counts["acked"], failed=counts["failed"])
            next_report += 1
        try:
            for _ in range(1000):
                producer.produce(args.topic, value, on_delivery=delivered)
        except BufferError:
            producer.poll(0.001)
        producer.poll(0)
    producer.flush(60)
    seconds = time.monotonic() - measured_from
    pairs = array.array("i")
    for end, latency in zip(ends, latencies):
        pairs.append(end)
        pairs.append(latency)
    with open(args.out, "wb") as out:
        pairs.tofile(out)
    say(done=True, acked=counts["measured_acked"], failed=counts["measured_failed"], seconds=seconds)


def consume(args):
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "bench-confluent-kafka-reader",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    })
    metadata = consumer.list_topics(args.topic, timeout=30)
    partitions = sorted(metadata.topics[args.topic].partitions)
    consumer.assign([TopicPartition(args.topic, partition, OFFSET_BEGINNING) for partition in partitions])
    started = time.monotonic()
    first = None
    read = 0
    value_bytes = 0
    deadline = started + args.seconds
    next_report = started + 1
    while read < args.records and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=10000, timeout=0.5):
            if message.error() is not None:
                continue
            if first is None:
                first = time.monotonic()
            read += 1
            value_bytes += len(message.value() or b"")
        if time.monotonic() >= next_report:
            say(acked=read, failed=0)
            next_report += 1
    ended = time.monotonic()
    consumer.close()
    say(done=True, records=read, value_bytes=value_bytes, seconds=ended - started,
        first_record_after_s=(first - started) if first is not None else None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["produce", "consume"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--acks", default="all")
    parser.add_argument("--bytes", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--warmup-seconds", type=float, default=0)
    parser.add_argument("--linger-ms", type=int, default=5)
    parser.add_argument("--max-in-flight", type=int, default=8000)
    parser.add_argument("--records", type=int, default=0)
    parser.add_argument("--out", default=os.devnull)
    main_args = parser.parse_args()
    if main_args.mode == "produce":
        produce(main_args)
    else:
        consume(main_args)


if __name__ == "__main__":
    main()
