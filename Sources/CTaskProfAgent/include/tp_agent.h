// Public header of the taskprof agent. The agent has no API for the target: it is injected with
// LD_PRELOAD and configured through TASKPROF_* environment variables (see tp_agent.c). This
// header only exposes the raw stream layout, which the taskprof tool reads.
#include "tp_raw_format.h"
