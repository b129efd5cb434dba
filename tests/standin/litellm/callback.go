package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// genericAPILogger mirrors LiteLLM's generic_api callback
// (litellm/integrations/generic_api/generic_api_callback.py, GenericAPILogger, a
// CustomBatchLogger): every LLM call's StandardLoggingPayload, success or failure, is
// queued; the queue is POSTed as one JSON array (log_format "json_array", the default) to
// $GENERIC_LOGGER_ENDPOINT with Content-Type: application/json plus the headers in
// $GENERIC_LOGGER_HEADERS ("k=v,k2=v2"), every DEFAULT_FLUSH_INTERVAL_SECONDS (default 5)
// or as soon as DEFAULT_BATCH_SIZE (default 512) payloads wait (litellm/constants.py;
// litellm/integrations/custom_batch_logger.py). A failed POST is logged and the batch
// dropped (async_send_batch clears the queue in `finally`). The auth rotator reads these
// posts (rotator/events.go).
type genericAPILogger struct {
	endpoint  string
	headers   map[string]string
	interval  time.Duration
	batchSize int
	client    *http.Client

	mu    sync.Mutex
	queue []standardLoggingPayload
	kick  chan struct{}
	done  chan struct{}
}

func newGenericAPILogger(getenv func(string) string) (*genericAPILogger, error) {
	endpoint := getenv("GENERIC_LOGGER_ENDPOINT")
	if endpoint == "" {
		// GenericAPILogger.__init__ raises ValueError("endpoint not set for GenericAPILogger,
		// GENERIC_LOGGER_ENDPOINT not found in environment variables").
		return nil, fmt.Errorf("litellm_settings.callbacks has generic_api but GENERIC_LOGGER_ENDPOINT is not set (LiteLLM's GenericAPILogger raises at start for this)")
	}
	l := &genericAPILogger{
		endpoint:  endpoint,
		headers:   map[string]string{"Content-Type": "application/json"},
		interval:  5 * time.Second,
		batchSize: 512,
		client:    &http.Client{Timeout: 30 * time.Second},
		kick:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	// _get_headers: "key1=value1,key2=value2".
	for _, item := range strings.Split(getenv("GENERIC_LOGGER_HEADERS"), ",") {
		if k, v, ok := strings.Cut(item, "="); ok {
			l.headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	for _, env := range []struct {
		name string
		set  func(int)
	}{
		{"DEFAULT_FLUSH_INTERVAL_SECONDS", func(n int) { l.interval = time.Duration(n) * time.Second }},
		{"DEFAULT_BATCH_SIZE", func(n int) { l.batchSize = n }},
	} {
		if v := getenv(env.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s=%q: want a positive integer (litellm/constants.py reads it with int())", env.name, v)
			}
			env.set(n)
		}
	}
	return l, nil
}

// run flushes every interval, or when the batch is full, until ctx ends; then it flushes
// what is left.
func (l *genericAPILogger) run(ctx context.Context) {
	defer close(l.done)
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			l.flush(context.Background())
			return
		case <-t.C:
		case <-l.kick:
		}
		l.flush(ctx)
	}
}

func (l *genericAPILogger) log(p standardLoggingPayload) {
	l.mu.Lock()
	l.queue = append(l.queue, p)
	full := len(l.queue) >= l.batchSize
	l.mu.Unlock()
	if full {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

func (l *genericAPILogger) flush(ctx context.Context) {
	l.mu.Lock()
	batch := l.queue
	l.queue = nil
	l.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	body, err := json.Marshal(batch)
	if err != nil {
		log.Printf("litellm-standin: generic_api: encoding %d payloads: %v (batch dropped)", len(batch), err)
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.endpoint, bytes.NewReader(body))
	if err != nil {
		log.Printf("litellm-standin: generic_api: %v (batch dropped)", err)
		return
	}
	for k, v := range l.headers {
		req.Header.Set(k, v)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		log.Printf("litellm-standin: generic_api: POST %d payloads to %s: %v (batch dropped, as LiteLLM drops it)", len(batch), l.endpoint, err)
		return
	}
	resp.Body.Close()
	log.Printf("litellm-standin: generic_api: sent %d payloads to %s: %s", len(batch), l.endpoint, resp.Status)
}

// standardLoggingPayload is the subset of LiteLLM's StandardLoggingPayload
// (litellm/types/utils.py) the stand-in fills in. The rotator reads status,
// custom_llm_provider, model, startTime, error_str and error_information
// (rotator/events.go, loggingPayload).
type standardLoggingPayload struct {
	ID                  string            `json:"id"`
	TraceID             string            `json:"trace_id"`
	CallType            string            `json:"call_type"`
	Stream              bool              `json:"stream"`
	ResponseCost        float64           `json:"response_cost"`
	Status              string            `json:"status"` // "success" | "failure"
	CustomLLMProvider   string            `json:"custom_llm_provider"`
	TotalTokens         int64             `json:"total_tokens"`
	PromptTokens        int64             `json:"prompt_tokens"`
	CompletionTokens    int64             `json:"completion_tokens"`
	StartTime           float64           `json:"startTime"`
	EndTime             float64           `json:"endTime"`
	CompletionStartTime float64           `json:"completionStartTime"`
	ResponseTime        float64           `json:"response_time"`
	Model               string            `json:"model"`
	ModelGroup          string            `json:"model_group"`
	APIBase             string            `json:"api_base"`
	Metadata            loggingMetadata   `json:"metadata"`
	Messages            any               `json:"messages"`
	Response            any               `json:"response"`
	ErrorStr            *string           `json:"error_str"`
	ErrorInformation    *loggingErrorInfo `json:"error_information"`
	ModelParameters     map[string]any    `json:"model_parameters"`
	HiddenParams        map[string]any    `json:"hidden_params"`
	Standin             string            `json:"litellm_standin"` // not a LiteLLM field: says who wrote this
}

// loggingMetadata is StandardLoggingUserAPIKeyMetadata's key fields.
type loggingMetadata struct {
	UserAPIKeyHash  *string `json:"user_api_key_hash"`
	UserAPIKeyAlias *string `json:"user_api_key_alias"`
}

// loggingErrorInfo is StandardLoggingPayloadErrorInformation.
type loggingErrorInfo struct {
	ErrorCode    string `json:"error_code"`
	ErrorClass   string `json:"error_class"`
	LLMProvider  string `json:"llm_provider"`
	Traceback    string `json:"traceback"`
	ErrorMessage string `json:"error_message"`
}

// exceptionClass names the LiteLLM exception (litellm/exceptions.py) an upstream status
// maps to, as it appears in error_class.
func exceptionClass(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BadRequestError"
	case http.StatusUnauthorized:
		return "AuthenticationError"
	case http.StatusForbidden:
		return "PermissionDeniedError"
	case http.StatusNotFound:
		return "NotFoundError"
	case http.StatusRequestTimeout:
		return "Timeout"
	case http.StatusUnprocessableEntity:
		return "UnprocessableEntityError"
	case http.StatusTooManyRequests:
		return "RateLimitError"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailableError"
	case http.StatusInternalServerError:
		return "InternalServerError"
	}
	return "APIError"
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
