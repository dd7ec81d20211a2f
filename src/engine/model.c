/* model.c — loading llama/qwen2 GGUF models; error strings. */
#include "engine/engine.h"

static const char *const err_names[ENG_ERR__COUNT] = {
	[ENG_OK] = "ok",
	[ENG_ERR_NOMEM] = "out of memory",
	[ENG_ERR_IO] = "I/O error",
	[ENG_ERR_FORMAT] = "not a valid GGUF file",
	[ENG_ERR_TRUNCATED] = "file is truncated or an offset points past its end",
	[ENG_ERR_VERSION] = "unsupported GGUF version (supported: 2, 3)",
	[ENG_ERR_UNSUPPORTED_ARCH] = "unsupported architecture (supported: llama, qwen2)",
	[ENG_ERR_UNSUPPORTED_TYPE] = "unsupported tensor type (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)",
	[ENG_ERR_MISSING_KEY] = "required metadata key missing",
	[ENG_ERR_MISSING_TENSOR] = "required tensor missing",
	[ENG_ERR_SHAPE] = "tensor or metadata has an unexpected shape or value",
	[ENG_ERR_CONTEXT_FULL] = "context is full (prompt plus generation exceed the context length)",
	[ENG_ERR_INVALID_ARG] = "invalid argument",
	[ENG_ERR_NO_SEQ] = "no free sequence slot in the context",
	[ENG_ERR_TOKENIZER] = "tokenizer error",
	[ENG_ERR_TEMPLATE] = "chat template not recognised",
	[ENG_ERR_THREAD] = "could not create threads",
	[ENG_ERR_CANCELLED] = "cancelled",
	[ENG_ERR_NOT_FOUND] = "not found",
	[ENG_ERR_WRITE] = "write error",
};

const char *eng_strerror(enum eng_err e)
{
	if ((int)e < 0 || e >= ENG_ERR__COUNT || !err_names[e])
		return "unknown engine error";
	return err_names[e];
}
