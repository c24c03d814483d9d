#!/usr/bin/env node
// A CRM's side of Verdict's queues, written with the Azure SDK for JavaScript (@azure/storage-queue, installed
// into tools/clients by scripts/install-tools.sh). Storage: $VERDICT_STORAGE_CONNECTION_STRING.
//
//   node scripts/clients/queue-client.cjs send QUEUE TEXT [--plain]      base64 of TEXT's UTF-8 (what the app
//                                                                         expects by default), or TEXT as it is
//   node scripts/clients/queue-client.cjs send-file QUEUE FILE.json       FILE: [{"text": "...", "plain": true}, ...]
//   node scripts/clients/queue-client.cjs receive QUEUE [MAX]             prints each message decoded from base64
//                                                                         as one JSON line {"text", "dequeueCount"}
//                                                                         and deletes it
"use strict";
const path = require("path");
const fs = require("fs");
const { QueueClient } = require(require.resolve("@azure/storage-queue", { paths: [path.join(__dirname, "..", "..", "tools", "clients")] }));

function fail(message) {
  process.stderr.write(`queue-client: ${message}\n`);
  process.exit(2);
}

async function send(queue, items) {
  await queue.createIfNotExists();
  for (const item of items) {
    const wire = item.plain ? item.text : Buffer.from(item.text, "utf8").toString("base64");
    await queue.sendMessage(wire);
  }
}

async function receive(queue, max) {
  if (!(await queue.exists())) {
    return;
  }
  let left = max;
  while (left > 0) {
    const got = await queue.receiveMessages({ numberOfMessages: Math.min(32, left) });
    if (got.receivedMessageItems.length === 0) {
      return;
    }
    for (const m of got.receivedMessageItems) {
      const text = Buffer.from(m.messageText, "base64").toString("utf8");
      process.stdout.write(JSON.stringify({ text, dequeueCount: m.dequeueCount }) + "\n");
      await queue.deleteMessage(m.messageId, m.popReceipt);
      left--;
    }
  }
}

async function main() {
  const [verb, name, ...rest] = process.argv.slice(2);
  const connection = process.env.VERDICT_STORAGE_CONNECTION_STRING;
  if (!connection) fail("set VERDICT_STORAGE_CONNECTION_STRING");
  if (!verb || !name) fail("usage: send QUEUE TEXT [--plain] | send-file QUEUE FILE.json | receive QUEUE [MAX]");
  const queue = new QueueClient(connection, name);
  switch (verb) {
    case "send":
      if (rest.length < 1) fail("send needs the message text");
      return send(queue, [{ text: rest[0], plain: rest.includes("--plain") }]);
    case "send-file":
      return send(queue, JSON.parse(fs.readFileSync(rest[0], "utf8")));
    case "receive":
      return receive(queue, rest[0] ? parseInt(rest[0], 10) : 32);
    default:
      fail(`unknown verb '${verb}'`);
  }
}

main().catch((error) => fail(error.message));
