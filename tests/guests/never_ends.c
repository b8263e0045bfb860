/* Never terminates: the instruction budget must stop it with a clear message. */
#include <stdio.h>

volatile unsigned counter;

void spin(void)
{
    for (;;)
        counter++;
}

int main(void)
{
    printf("spinning\n");
    spin();
    return 0;
}
