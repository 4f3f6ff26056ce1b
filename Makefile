# Gatehouse: door access and visitor management.
#
#   make            build agent/gatehouse-agent
#   make deps       install the Debian packages (apt-get; sudo when not root)
#   make models     fetch the face-api weights and demo images (npm pack, checked)
#   make demo       a demo agent replaying the demo photos, with the console
#   make check      every test: unit, equivalence, regress, sanitizers, fuzz smoke
#   make bench      benchmarks beside the face-api peer
#   make fuzz       build the libFuzzer targets
#   make fixtures   regenerate the reference fixtures with face-api (Node)
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX		?= /usr/local
DESTDIR		?=
BINDIR		 = $(PREFIX)/bin
SBINDIR		 = $(PREFIX)/sbin
MANDIR		 = $(PREFIX)/share/man
DATADIR		 = $(PREFIX)/share/gatehouse

B		?= build
SAN		?=
MODELS		?= models
FACES		?= ../shared/faces

WARN		 = -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
		   -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition \
		   -Wformat=2 -Wundef -Wwrite-strings -Wvla -Wredundant-decls \
		   -Wimplicit-fallthrough -Wcast-qual
CSTD		 = -std=c17 -D_GNU_SOURCE
OPT		?= -O2 -g
PKGS		 = libturbojpeg libpng libcjson libcrypto sqlite3 espeak-ng \
		   portaudio-2.0 alsa libgpiod libcurl zbar libqrencode
CONSOLE_PKGS	 = ncursesw caca libqrencode libssh libturbojpeg libcjson \
		   libcrypto
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CONSOLE_CFLAGS	:= $(shell pkg-config --cflags $(CONSOLE_PKGS) 2>/dev/null)
CONSOLE_LIBS	:= $(shell pkg-config --libs $(CONSOLE_PKGS) 2>/dev/null) -lm
XNN_LIBS	 = -lXNNPACK -lpthreadpool -lpthread -lm

# Random mutations of valid pass tokens that test-pass tries (none may
# verify): a million in the plain run, fewer under the sanitizers.
PASS_MUTATIONS	?= 1000000

ifeq ($(SAN),1)
OPT		 = -O1 -g -fno-omit-frame-pointer \
		   -fsanitize=address,undefined -fno-sanitize-recover=all
PASS_MUTATIONS	 = 20000
endif

CPPFLAGS	+= -Ishared -Iagent -Iconsole -MMD -MP \
		   -DGATEHOUSE_MODELS_DIR='"$(DATADIR)/models"'
ALL_CFLAGS	 = $(CSTD) $(OPT) $(WARN) $(PKG_CFLAGS) $(CONSOLE_CFLAGS) $(CFLAGS)
ALL_LDFLAGS	 = $(OPT) $(LDFLAGS)
LIBS		 = $(PKG_LIBS) $(XNN_LIBS)

# The binaries of the default build sit beside their sources; other builds
# (SAN=1, B=...) keep theirs under $(B).
ifeq ($(B),build)
AGENT		 = agent/gatehouse-agent
CONSOLE		 = console/gatehouse
else
AGENT		 = $(B)/gatehouse-agent
CONSOLE		 = $(B)/gatehouse
endif

SHARED_SRCS	 = shared/base64.c shared/file.c shared/lineio.c shared/log.c \
		   shared/loop.c shared/proto.c shared/xmalloc.c
AGENT_LIB_SRCS	 = agent/image.c agent/weights.c agent/nn.c agent/prep.c \
		   agent/face-tiny.c agent/face-ssd.c agent/face-landmark.c \
		   agent/face-recog.c agent/face.c agent/gallery.c agent/store.c \
		   agent/config.c agent/voice.c agent/door.c agent/door-sim.c \
		   agent/door-gpiod.c agent/door-keeper.c agent/camera.c \
		   agent/camera-file.c agent/camera-v4l2.c agent/camera-http.c \
		   agent/track.c agent/quality.c agent/decide.c \
		   agent/worker.c agent/worker-msg.c agent/control.c agent/child.c \
		   agent/outbox.c agent/pass.c agent/ratelimit.c agent/liveness.c
AGENT_MAIN_SRCS	 = agent/gatehouse-agent.c agent/cmd-analyze.c agent/cmd-store.c \
		   agent/cmd-dial.c agent/daemon.c agent/sighting.c \
		   agent/handlers.c agent/speaker.c agent/access.c agent/notify.c \
		   agent/cmd-calibrate.c
CONSOLE_LIB_SRCS = console/client.c console/batch.c console/render.c \
		   console/ssh.c console/conf.c console/tui.c console/tui-act.c \
		   console/tui-agent.c console/tui-draw.c console/tui-form.c \
		   console/tui-term.c console/kiosk.c
CONSOLE_MAIN_SRCS = console/gatehouse.c
TEST_LIB_SRCS	 = tests/unit/test.c
UNIT_TESTS	 = image weights gallery ssd equiv identity store loop lineio \
		   config voice door camera proto track decide worker control outbox \
		   pass ratelimit liveness
CONSOLE_TESTS	 = batch render conf
TOOLS		 = ppm-from
FUZZ_TARGETS	 = image weights lineio config mjpeg proto decide worker-msg \
		   pass

SHARED_OBJS	 = $(SHARED_SRCS:%.c=$(B)/%.o)
AGENT_LIB_OBJS	 = $(AGENT_LIB_SRCS:%.c=$(B)/%.o)
AGENT_MAIN_OBJS	 = $(AGENT_MAIN_SRCS:%.c=$(B)/%.o)
TEST_LIB_OBJS	 = $(TEST_LIB_SRCS:%.c=$(B)/%.o)
UNIT_BINS	 = $(UNIT_TESTS:%=$(B)/tests/unit/test-%)
TOOL_BINS	 = $(TOOLS:%=$(B)/tests/tools/%)
LIB_OBJS	 = $(AGENT_LIB_OBJS) $(SHARED_OBJS)
CONSOLE_LIB_OBJS = $(CONSOLE_LIB_SRCS:%.c=$(B)/%.o)
CONSOLE_MAIN_OBJS = $(CONSOLE_MAIN_SRCS:%.c=$(B)/%.o)
CONSOLE_TEST_BINS = $(CONSOLE_TESTS:%=$(B)/tests/unit/test-%)

.PHONY: all deps models demo check unit check-clang check-san check-fuzz \
	bench fuzz fixtures install clean tests tools
.DELETE_ON_ERROR:
# Objects built through chained rules are kept, not deleted as intermediate.
.PRECIOUS: $(B)/%.o

all: $(AGENT) $(CONSOLE)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# What embeds an install path is rebuilt when PREFIX changes.
$(B)/paths: FORCE
	@mkdir -p $(@D)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' > $@
$(B)/agent/cmd-analyze.o $(B)/agent/config.o \
    $(B)/tests/unit/test-config.o: $(B)/paths
.PHONY: FORCE
FORCE:

$(AGENT): $(AGENT_MAIN_OBJS) $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(CONSOLE): $(CONSOLE_MAIN_OBJS) $(CONSOLE_LIB_OBJS) $(SHARED_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CONSOLE_LIBS)

$(B)/tests/unit/test-%: $(B)/tests/unit/test-%.o $(TEST_LIB_OBJS) $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(CONSOLE_TEST_BINS): $(B)/tests/unit/test-%: $(B)/tests/unit/test-%.o \
    $(TEST_LIB_OBJS) $(CONSOLE_LIB_OBJS) $(SHARED_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CONSOLE_LIBS) -lzbar

$(B)/tests/tools/%: $(B)/tests/tools/%.o $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

tests: $(UNIT_BINS) $(CONSOLE_TEST_BINS) $(TOOL_BINS)
tools: $(TOOL_BINS)

deps:
	@tests/deps.sh

# A door agent on a temporary directory replaying the demo photos, watched
# through the console.
demo: deps models
	@$(MAKE) --no-print-directory all
	@tests/demo.sh $(AGENT) $(CONSOLE) $(MODELS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/models
	install -m 755 $(AGENT) $(DESTDIR)$(SBINDIR)/gatehouse-agent
	install -m 755 $(CONSOLE) $(DESTDIR)$(BINDIR)/gatehouse
	install -m 644 doc/gatehouse.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 doc/gatehouse.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 doc/gatehouse-agent.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 etc/gatehouse.conf etc/gatehouse-agent.service \
	    $(DESTDIR)$(DATADIR)/
	install -m 644 $(MODELS)/*.bin $(MODELS)/*.json \
	    $(DESTDIR)$(DATADIR)/models/

models:
	@tests/models.sh $(MODELS)

# Unit, equivalence and regress tests; each suite ends with
# "NAME: N passed, N failed".
unit: all $(UNIT_BINS) $(CONSOLE_TEST_BINS) $(TOOL_BINS)
	@GATEHOUSE_MODELS=$(MODELS) GATEHOUSE_FACES=$(FACES) \
	    PASS_MUTATIONS=$(PASS_MUTATIONS) tests/run-suites.sh $(UNIT_BINS) $(CONSOLE_TEST_BINS)
	@tests/regress/run.sh $(AGENT) $(MODELS) $(B)/tests/tools $(FACES) \
	    $(CONSOLE)
	@tests/tui/run.sh $(AGENT) $(MODELS) $(FACES) $(CONSOLE)

# deps runs first in its own step: the flags from pkg-config are read when
# make starts, so the build runs in a make started after the install.
# Builds use every core; the tests run one at a time.
JOBS		:= -j$(shell nproc 2>/dev/null || echo 2)

check: deps models
	@$(MAKE) --no-print-directory $(JOBS) all tests
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory $(JOBS) check-clang
	@$(MAKE) --no-print-directory $(JOBS) B=build/san SAN=1 all tests tools
	@$(MAKE) --no-print-directory check-san
	@$(MAKE) --no-print-directory $(JOBS) fuzz
	@$(MAKE) --no-print-directory check-fuzz

# Everything builds warning-free with clang too.
check-clang:
	@$(MAKE) --no-print-directory -s B=build/clang CC=clang all tests \
	    $(BENCHES:%=build/clang/tests/bench/bench-%)

# The same tests built with ASan and UBSan.
check-san:
	@$(MAKE) --no-print-directory B=build/san SAN=1 unit

FUZZ_CC		 = clang
FUZZ_FLAGS	 = -g -O1 -fsanitize=address,undefined
FUZZ_BINS	 = $(FUZZ_TARGETS:%=build/fuzz/fuzz-%)
# The library is built once, instrumented for the fuzzer, and linked into
# every target.
FUZZ_LIB_OBJS	 = $(SHARED_SRCS:%.c=build/fuzz/obj/%.o) \
		   $(AGENT_LIB_SRCS:%.c=build/fuzz/obj/%.o)

.SECONDARY: $(FUZZ_LIB_OBJS)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CSTD) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link \
	    $(PKG_CFLAGS) -Ishared -Iagent -MMD -MP -c -o $@ $<

build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CSTD) $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) \
	    -Ishared -Iagent -o $@ $^ $(LIBS)

fuzz: $(FUZZ_BINS)

# A short smoke run of every fuzz target over seeds made from the demo
# images: FUZZ_TIME seconds each (make fuzz and a longer FUZZ_TIME for more).
FUZZ_TIME	?= 8
check-fuzz: fuzz $(TOOL_BINS)
	@FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/smoke.sh $(MODELS) $(FUZZ_BINS)

BENCHES		 = face gallery
BENCH_BINS	 = $(BENCHES:%=$(B)/tests/bench/bench-%)

$(B)/tests/bench/%: $(B)/tests/bench/%.o $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Benchmarks beside face-api on tfjs-backend-wasm, in the same run.
bench: deps models
	@$(MAKE) --no-print-directory all $(BENCH_BINS) $(TOOL_BINS)
	@tests/bench/run.sh $(MODELS) $(B)

# Regenerates tests/fixtures/reference.json with face-api itself, on the
# pixels ppm-from decodes (about ten minutes: SSD on tfjs's JS backend).
fixtures: models $(B)/tests/tools/ppm-from
	@PPM_FROM=$(B)/tests/tools/ppm-from tests/reference/gen.sh $(MODELS)

clean:
	rm -rf build $(AGENT) $(CONSOLE)

-include $(shell find $(B) build/fuzz/obj -name '*.d' 2>/dev/null)
