/* backend.c — the backend registry: which implementations of the forward
 * pass this build has, and which one a context gets for a device request.
 *
 * CPU is always built in; CUDA when the engine is built with `make CUDA=1`
 * (ENG_HAVE_CUDA). AUTO takes CUDA when it is built in and its probe finds a
 * usable GPU, else the CPU, and says why in the note. */
#include <stdio.h>
#include <string.h>

#include "engine/engine_int.h"

int eng_device_parse(const char *s, enum eng_device *out)
{
	if (!s)
		return -1;
	if (!strcmp(s, "auto"))
		*out = ENG_DEVICE_AUTO;
	else if (!strcmp(s, "cpu"))
		*out = ENG_DEVICE_CPU;
	else if (!strcmp(s, "cuda") || !strcmp(s, "gpu"))
		*out = ENG_DEVICE_CUDA;
	else
		return -1;
	return 0;
}

const struct eng_backend *eng_backend_pick(enum eng_device d, char *note, size_t n)
{
	char desc[200] = "";

	if (d == ENG_DEVICE_CPU) {
		eng_backend_cpu.probe(desc, sizeof desc);
		snprintf(note, n, "cpu: %s", desc);
		return &eng_backend_cpu;
	}
#ifdef ENG_HAVE_CUDA
	if (eng_backend_cuda.probe(desc, sizeof desc)) {
		snprintf(note, n, "cuda: %s", desc);
		return &eng_backend_cuda;
	}
	if (d == ENG_DEVICE_CUDA) {
		snprintf(note, n, "no usable GPU: %s", desc);
		return NULL;
	}
	{
		char cpu[128] = "";
		eng_backend_cpu.probe(cpu, sizeof cpu);
		snprintf(note, n, "auto: no usable GPU (%s); using the CPU: %s", desc, cpu);
	}
	return &eng_backend_cpu;
#else
	if (d == ENG_DEVICE_CUDA) {
		snprintf(note, n, "this build has no CUDA backend (rebuild with make CUDA=1)");
		return NULL;
	}
	eng_backend_cpu.probe(desc, sizeof desc);
	snprintf(note, n, "auto: built without CUDA; using the CPU: %s", desc);
	return &eng_backend_cpu;
#endif
}

double eng_device_h2d_gbps(enum eng_device d)
{
	char note[256];
	const struct eng_backend *be = eng_backend_pick(d, note, sizeof note);
	return be && be->measure_gbps ? be->measure_gbps() : 0.0;
}
