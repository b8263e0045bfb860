/* <assert.h> of the guest runtime: a failed assertion prints
 * "file:line: function: Assertion `expression' failed." and exits with status 134, the
 * status of abort(). NDEBUG turns assert off, as usual (this header may be included
 * again after changing it). */
#undef assert
#ifdef NDEBUG
#define assert(expression) ((void)0)
#else
void rt_assert_failed(const char *expression, const char *file, int line, const char *function);
#define assert(expression) \
    ((expression) ? (void)0 : rt_assert_failed(#expression, __FILE__, __LINE__, __func__))
#endif
