/* Execution state and frame records: the poll flag and countdown, the mode, what each
 * unwinding frame records natively (mig_rec_*) before it returns, and how the restored
 * frames take their records back (mig_frame_pop, mig_ld_*) while rewinding. Stack blocks
 * of returned frames are copied aside here. Part of mig.c's translation unit.
 */
#include "msr.h"

struct mig_control mig_control MIG_SMALL_DATA = {
    .countdown = CTL_COUNTDOWN_NEVER, .err_function = -1, .err_site = -1, .err_value = -1,
};
/* the host finds the fields at the offsets mig_protocol.h defines */
_Static_assert(offsetof(struct mig_control, flag) == CTL_FLAG_OFFSET, "control block layout");
_Static_assert(offsetof(struct mig_control, countdown) == CTL_COUNTDOWN_OFFSET, "control block layout");
_Static_assert(offsetof(struct mig_control, items) == CTL_ITEMS_OFFSET, "control block layout");
_Static_assert(offsetof(struct mig_control, err_function) == CTL_ERR_FUNCTION_OFFSET, "control block layout");
_Static_assert(offsetof(struct mig_control, err_site) == CTL_ERR_SITE_OFFSET, "control block layout");
_Static_assert(offsetof(struct mig_control, err_value) == CTL_ERR_VALUE_OFFSET, "control block layout");
_Static_assert(offsetof(struct mig_control, binding) == CTL_BINDING_OFFSET, "control block layout");
_Static_assert(sizeof(struct mig_control) == CTL_SIZE, "control block layout");
static int32_t saved_countdown, saved_flag;
int mig_mode;

static struct value *values;
static uint32_t nvalues, values_cap;
static struct frame *frames;
static uint32_t nframes, frames_cap, frame_pos, value_pos;

static MIG_TEXT struct value *value_new(uint8_t kind)
{
    struct value *v;
    reserve(&values, &values_cap, nvalues + 1, sizeof(struct value), 64);
    v = &values[nvalues++];
    v->kind = kind;
    frames[nframes - 1].n++;
    return v;
}

static MIG_TEXT void reset_records(void)
{
    uint32_t i;
    for (i = 0; i < nvalues; i++)
        if (values[i].kind == VAL_OBJ)
            mig_free(values[i].v.obj);
    nvalues = nframes = frame_pos = value_pos = 0;
}

MIG_TEXT void mig_unwind_begin(void)
{
    rt_hypercall(HC_MIG_EVENT, EV_UNWIND_BEGIN, 0, 0);
    reset_records();
    unwound_slots = 0;
    mig_mode = MIG_UNWINDING;
}

MIG_TEXT void mig_frame_push(int32_t function, int32_t site)
{
    reserve(&frames, &frames_cap, nframes + 1, sizeof(struct frame), 16);
    frames[nframes].function = function;
    frames[nframes].site = site;
    frames[nframes].first = nvalues;
    frames[nframes].n = 0;
    nframes++;
}

MIG_TEXT void mig_rec_i32(int32_t v) { value_new(VAL_I32)->v.i32 = v; }
MIG_TEXT void mig_rec_u32(uint32_t v) { value_new(VAL_U32)->v.u32 = v; }
MIG_TEXT void mig_rec_i64(int64_t v) { value_new(VAL_I64)->v.i64 = v; }
MIG_TEXT void mig_rec_f64(double v) { value_new(VAL_F64)->v.f64 = v; }
MIG_TEXT void mig_rec_f32(float v) { value_new(VAL_F32)->v.f32 = v; }

MIG_TEXT void mig_rec_ptr(const void *p, int32_t type)
{
    struct value *v = value_new(VAL_PTR);
    v->v.ptr = p;
    v->type = type;
}

MIG_TEXT void mig_rec_func(mig_func_t f) { value_new(VAL_FUNC)->v.func = f; }

MIG_TEXT void mig_rec_obj(const void *p, int32_t type, uint32_t count)
{
    struct value *v = value_new(VAL_OBJ);
    uint32_t size = count * type_size(type);
    v->type = type;
    v->count = count;
    v->v.obj = mig_alloc(size);
    memcpy(v->v.obj, p, size);
}

/* A frame's stack blocks die when it returns: while unwinding, their contents are copied
 * aside (the entry keeps its original address, so pointers into them still resolve). */
MIG_TEXT void mig_release_stack(uint32_t n)
{
    uint32_t i, lo;
    if (n + unwound_slots > nstack)
        rt_panic("mig_release_stack: more stack blocks released than registered");
    lo = nstack - unwound_slots - n; /* below the blocks of frames already unwound */
    for (i = lo; i < lo + n; i++) {
        uint32_t b = stack_slots[i];
        if (mig_mode == MIG_UNWINDING) {
            B(b)->data = mig_alloc(B(b)->size);
            memcpy(B(b)->data, B(b)->addr, B(b)->size);
        } else {
            block_delete(b);
        }
    }
    if (mig_mode == MIG_UNWINDING)
        unwound_slots += n;
    else
        nstack -= n;
}

MIG_TEXT int32_t mig_frame_pop(int32_t function)
{
    struct frame *f;
    if (frame_pos >= nframes)
        mig_fail(ERR_FORMAT, "restore failed: more frames re-entered than the stream holds");
    /* frames were decoded outermost first */
    f = &frames[frame_pos++];
    if (f->function != function)
        mig_fail(ERR_FORMAT, "restore failed: the stream's call chain does not match this program");
    value_pos = f->first;
    return f->site;
}

MIG_TEXT void mig_indirect_callee(mig_func_t f)
{
    uint32_t i;
    if (frame_pos < nframes)
        for (i = 0; i < mig_nfunctions; i++)
            if (mig_functions[i] == f && mig_function_frames[i] == frames[frame_pos].function)
                return;
    mig_fail(ERR_FORMAT, "restore failed: the stream's call chain does not match this program");
}

MIG_TEXT void mig_indirect_returned(void)
{
    if (mig_mode == MIG_REWINDING) /* the callee has no frames: it ran as a plain call */
        mig_fail(ERR_FORMAT, "restore failed: the stream's call chain does not match this program");
}

static MIG_TEXT struct value *next_value(uint8_t kind)
{
    struct value *v = &values[value_pos++];
    if (v->kind != kind)
        mig_fail(ERR_FORMAT, "restore failed: a frame's variables do not match this program");
    return v;
}

MIG_TEXT int32_t mig_ld_i32(void) { return next_value(VAL_I32)->v.i32; }
MIG_TEXT uint32_t mig_ld_u32(void) { return next_value(VAL_U32)->v.u32; }
MIG_TEXT int64_t mig_ld_i64(void) { return next_value(VAL_I64)->v.i64; }
MIG_TEXT double mig_ld_f64(void) { return next_value(VAL_F64)->v.f64; }
MIG_TEXT float mig_ld_f32(void) { return next_value(VAL_F32)->v.f32; }
MIG_TEXT void *mig_ld_ptr(void) { return (void *)next_value(VAL_PTR)->v.ptr; }
MIG_TEXT mig_func_t mig_ld_func(void) { return next_value(VAL_FUNC)->v.func; }

MIG_TEXT void mig_ld_obj(void *p, int32_t type, uint32_t count)
{
    struct value *v = next_value(VAL_OBJ);
    if (v->type != type || v->count != count)
        mig_fail(ERR_TYPE, "restore failed: a variable's type does not match this program");
    memcpy(p, v->v.obj, count * type_size(type));
}

MIG_TEXT void mig_rewind_done(void)
{
    mig_mode = MIG_NORMAL;
    mig_control.countdown = saved_countdown;
    mig_control.flag = saved_flag;
    reset_records();
    rt_hypercall(HC_MIG_EVENT, EV_RESTORE_END, 0, 0);
}

