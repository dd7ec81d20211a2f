# briefing — build, test, install.
#
#   make            build ./briefing
#   make check      install deps, build, unit + integration tests, unit tests under ASan+UBSan
#   make demo       install deps, build, fetch the bundled samples into a demo db and list them
#   make engine     build the standalone engine library and briefing-model (libc, libm, pthreads only)
#   make engine CUDA=1   the same with the CUDA backend (adds only the CUDA runtime, linked statically)
#   make check-gpu  build with CUDA=1 and run the GPU tests (parity with the CPU backend); needs a GPU
#   make fuzz       build and briefly run the libFuzzer targets (clang)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Variants build into build/<variant>/ (release, asan); dependency files keep
# incremental builds honest.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share/briefing
DESTDIR  ?=

CC       ?= cc
PKG_CONFIG ?= pkg-config
PKGS     := ncursesw libcurl libxml-2.0 sqlite3
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

WARN     := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wformat=2
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) -Isrc -MMD -MP \
	-DBRIEFING_DATADIR='"$(DATADIR)"'
OPT      ?= -O2 -g
CFLAGS   ?=
LDFLAGS  ?=
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Sources. The engine stands alone (no util, no other libraries).
ENGINE_SRC := $(shell find src/engine -name '*.c' -not -name 'tool_main.c' 2>/dev/null | sort)
APP_SRC    := $(shell find src -name '*.c' -not -path 'src/engine/*' -not -name main.c | sort)
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))

R := build/release
A := build/asan

# CUDA=1: the engine gains src/engine/cuda/*.cu (nvcc) and ENG_HAVE_CUDA;
# such builds live in their own directories so objects never mix.
CUDA ?=
NVCC ?= nvcc
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(shell command -v $(NVCC) 2>/dev/null))
CUDA_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_86,code=sm_86 \
	-gencode arch=compute_89,code=sm_89 -gencode arch=compute_90,code=sm_90 \
	-gencode arch=compute_90,code=compute_90
NVCCFLAGS ?= -O2 -std=c++17 -Xcompiler -fno-threadsafe-statics,-fno-exceptions,-fno-rtti
CUDA_SRC := $(sort $(wildcard src/engine/cuda/*.cu))
CUDA_LIBS :=
ifeq ($(CUDA),1)
R := build/release-cuda
A := build/asan-cuda
ENGINE_DEFS := -DENG_HAVE_CUDA
CUDA_LIBS := -L$(CUDA_HOME)/lib64 -lcudart_static -ldl -lrt
endif

ENGINE_OBJ_R := $(ENGINE_SRC:%.c=$(R)/%.o) $(if $(filter 1,$(CUDA)),$(CUDA_SRC:%.cu=$(R)/%.o))
APP_OBJ_R    := $(APP_SRC:%.c=$(R)/%.o)
ENGINE_OBJ_A := $(ENGINE_SRC:%.c=$(A)/%.o) $(if $(filter 1,$(CUDA)),$(CUDA_SRC:%.cu=$(A)/%.o))
APP_OBJ_A    := $(APP_SRC:%.c=$(A)/%.o)

UNIT_BIN_R := $(UNIT_SRC:tests/unit/%.c=$(R)/tests/%)
UNIT_BIN_A := $(UNIT_SRC:tests/unit/%.c=$(A)/tests/%)

ENGINE_LIB_R := $(R)/libbriefing-engine.a
ENGINE_LIB_A := $(A)/libbriefing-engine.a
APP_LIB_R    := $(R)/libbriefing.a
APP_LIB_A    := $(A)/libbriefing.a

LIBS := $(PKG_LIBS) -lm -lpthread $(CUDA_LIBS)

.PHONY: all engine check-gpu check check-unit check-asan check-integration demo fuzz install uninstall clean deps bench

all: briefing

deps:
	@bash scripts/install-deps.sh

briefing: $(R)/src/main.o $(APP_LIB_R) $(ENGINE_LIB_R)
	$(CC) $(OPT) $(LDFLAGS) -o $@ $^ $(LIBS)

# The whole program under ASan+UBSan: make check drives the CLI's
# integration tests through it too.
$(A)/briefing: $(A)/src/main.o $(APP_LIB_A) $(ENGINE_LIB_A)
	$(CC) -g $(SAN) $(LDFLAGS) -o $@ $^ $(LIBS)

engine: $(ENGINE_LIB_R) briefing-model

briefing-model: $(R)/src/engine/tool_main.o $(ENGINE_LIB_R)
	$(CC) $(OPT) $(LDFLAGS) -o $@ $^ -lm -lpthread $(CUDA_LIBS)

$(ENGINE_LIB_R): $(ENGINE_OBJ_R)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(ENGINE_LIB_A): $(ENGINE_OBJ_A)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(APP_LIB_R): $(APP_OBJ_R)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(APP_LIB_A): $(APP_OBJ_A)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# The engine is compiled without the application's include flags.
$(R)/src/engine/%.o: src/engine/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(ENGINE_DEFS) $(OPT) -march=x86-64-v2 $(CFLAGS) -c -o $@ $<
$(A)/src/engine/%.o: src/engine/%.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(ENGINE_DEFS) -O1 -g $(SAN) $(CFLAGS) -c -o $@ $<
# CUDA kernels and backend (never sanitised: ASan does not see device code)
$(R)/src/engine/cuda/%.o $(A)/src/engine/cuda/%.o: src/engine/cuda/%.cu src/engine/cuda/cuda_int.h \
		src/engine/engine_int.h src/engine/engine.h src/engine/quant.h src/engine/tiers.h
	@mkdir -p $(@D)
	$(NVCC) $(NVCCFLAGS) $(CUDA_ARCH) -Isrc -D_GNU_SOURCE -DENG_HAVE_CUDA \
		-Xcompiler -Wall,-Wextra,-Wno-unused-parameter -c -o $@ $<

$(R)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(OPT) $(PKG_CFLAGS) $(CMOCKA_CFLAGS) $(CFLAGS) -c -o $@ $<
$(A)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN) $(PKG_CFLAGS) $(CMOCKA_CFLAGS) $(CFLAGS) -c -o $@ $<

$(R)/tests/%: $(R)/tests/unit/%.o $(APP_LIB_R) $(ENGINE_LIB_R)
	$(CC) $(OPT) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LIBS)
$(A)/tests/%: $(A)/tests/unit/%.o $(APP_LIB_A) $(ENGINE_LIB_A)
	$(CC) -g $(SAN) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LIBS)

# The bundled feed list is embedded with .incbin.
$(R)/src/cli/common.o $(A)/src/cli/common.o: feeds/default.opml
$(R)/src/brief/sections.o $(A)/src/brief/sections.o: feeds/sections.conf feeds/lexicon.conf
$(R)/src/brief/check.o $(A)/src/brief/check.o: data/check/common-words.txt data/check/aliases.conf
$(R)/src/brief/prompt.o $(A)/src/brief/prompt.o: $(wildcard prompts/*.txt prompts/*/*.txt)

# ---- tests -----------------------------------------------------------------

check: deps
	@bash scripts/fetch-smollm2.sh >/dev/null || echo "check: SmolLM2 could not be fetched; the tests that need it will say they skipped"
	@$(MAKE) --no-print-directory briefing $(UNIT_BIN_R) $(UNIT_BIN_A) $(A)/briefing
	@bash tests/run.sh

check-unit: briefing $(UNIT_BIN_R)
	@bash tests/run.sh unit

check-asan: $(UNIT_BIN_A) $(A)/briefing
	@bash tests/run.sh asan

check-integration: briefing
	@bash tests/run.sh integration

# GPU tests: a plain C program on the engine alone (the GPU machines have
# none of our other libraries, not even cmocka). Skips with a message where
# there is no GPU.
GPU_TEST_SRC := $(sort $(wildcard tests/gpu/*.c))
build/release-cuda/tests/gpu/%: tests/gpu/%.c
	@$(MAKE) --no-print-directory CUDA=1 build/release-cuda/libbriefing-engine.a
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -DENG_HAVE_CUDA $(OPT) -o $@ $< build/release-cuda/libbriefing-engine.a \
		-lm -lpthread -L$(CUDA_HOME)/lib64 -lcudart_static -ldl -lrt

check-gpu:
	@$(MAKE) --no-print-directory CUDA=1 briefing-model $(GPU_TEST_SRC:tests/gpu/%.c=build/release-cuda/tests/gpu/%)
	@bash tests/gpu/run.sh

# ---- demo ------------------------------------------------------------------

demo: deps
	@$(MAKE) --no-print-directory briefing
	@bash scripts/demo.sh

# ---- fuzz ------------------------------------------------------------------

FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=c11 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS)
FUZZ_TIME ?= 20

# Engine targets link the engine alone; the others the application (less
# the CLI) and the engine it calls through llm/.
build/fuzz/fuzz_gguf build/fuzz/fuzz_tokenizer: build/fuzz/%: tests/fuzz/%.c $(ENGINE_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(ENGINE_SRC) -lm -lpthread
FUZZ_APP_SRC := $(filter-out src/cli/%,$(APP_SRC))
build/fuzz/%: tests/fuzz/%.c $(FUZZ_APP_SRC) $(ENGINE_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_APP_SRC) $(ENGINE_SRC) $(LIBS)

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
	@bash tests/fuzz/run.sh $(FUZZ_TIME)

# ---- bench -----------------------------------------------------------------

bench: briefing
	bash bench/fetch.sh

# ---- install ---------------------------------------------------------------

install: briefing
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(DATADIR)/feeds $(DESTDIR)$(DATADIR)/samples
	install -m 755 briefing $(DESTDIR)$(BINDIR)/briefing
	install -m 644 man/briefing.1 $(DESTDIR)$(MANDIR)/man1/briefing.1
	install -m 644 man/briefing.conf.5 $(DESTDIR)$(MANDIR)/man5/briefing.conf.5
	install -m 644 feeds/default.opml feeds/sections.conf feeds/lexicon.conf $(DESTDIR)$(DATADIR)/feeds/
	install -m 644 data/samples/*.xml $(DESTDIR)$(DATADIR)/samples/
	if [ -f briefing-model ]; then install -m 755 briefing-model $(DESTDIR)$(BINDIR)/briefing-model; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/briefing $(DESTDIR)$(BINDIR)/briefing-model \
		$(DESTDIR)$(MANDIR)/man1/briefing.1 $(DESTDIR)$(MANDIR)/man5/briefing.conf.5
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build briefing briefing-model

-include $(shell find build -name '*.d' 2>/dev/null)
