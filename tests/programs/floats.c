/* A float function for gdb to call: needs MXCSR and xmm registers right. */
float f(float a, float b) { return a + b; }
int main(void) { float x = f(1.0f, 2.0f); return (int)x; }
