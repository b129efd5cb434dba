package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// streamReply answers with one assistant message as a Responses API event stream, in the
// order the OpenAI Responses API sends it: response.created, output_item.added,
// content_part.added, output_text.delta (one per word), output_text.done,
// content_part.done, output_item.done, response.completed. Each event is
// "event: <type>\ndata: <json>\n\n", and the body ends after response.completed.
//
// What codex needs, from openai/codex codex-rs/codex-api/src/sse/responses.rs (process_sse):
// every event's data is JSON with a "type"; "response.created" must carry a "response";
// "response.output_text.delta" carries "delta"; "response.output_item.done" carries the
// finished "item" (a ResponseItem: type "message", role, content [{type "output_text",
// text}]), which is what codex keeps as the turn's output; "response.completed" carries
// "response" with a string "id" and optional "usage" (input_tokens, output_tokens,
// total_tokens, with input_tokens_details.cached_tokens and
// output_tokens_details.reasoning_tokens); and the stream must then close: codex reports
// Completed only when the body ends after response.completed ("stream closed before
// response.completed" otherwise).
func streamReply(w http.ResponseWriter, model, text string) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)

	respID := randomID("resp_standin_")
	itemID := randomID("msg_standin_")
	created := time.Now().Unix()
	seq := 0
	send := func(typ string, fields map[string]any) {
		fields["type"] = typ
		fields["sequence_number"] = seq
		seq++
		data, _ := json.Marshal(fields)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, data)
		if flusher != nil {
			flusher.Flush()
		}
	}
	response := func(status string, output []any, usage any) map[string]any {
		return map[string]any{
			"id": respID, "object": "response", "created_at": created, "status": status,
			"model": model, "output": output, "usage": usage,
		}
	}
	part := map[string]any{"type": "output_text", "text": text, "annotations": []any{}}
	doneItem := map[string]any{
		"id": itemID, "type": "message", "status": "completed", "role": "assistant",
		"content": []any{part},
	}

	send("response.created", map[string]any{"response": response("in_progress", []any{}, nil)})
	send("response.output_item.added", map[string]any{"output_index": 0, "item": map[string]any{
		"id": itemID, "type": "message", "status": "in_progress", "role": "assistant", "content": []any{},
	}})
	send("response.content_part.added", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0,
		"part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}}})
	words := strings.SplitAfter(text, " ")
	for _, wd := range words {
		send("response.output_text.delta", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "delta": wd})
	}
	send("response.output_text.done", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "text": text})
	send("response.content_part.done", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "part": part})
	send("response.output_item.done", map[string]any{"output_index": 0, "item": doneItem})
	output := int64(len(words))
	send("response.completed", map[string]any{"response": response("completed", []any{doneItem}, map[string]any{
		"input_tokens": 10, "input_tokens_details": map[string]any{"cached_tokens": 0},
		"output_tokens": output, "output_tokens_details": map[string]any{"reasoning_tokens": 0},
		"total_tokens": 10 + output,
	})})
}
