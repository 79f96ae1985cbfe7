#include <stdio.h>

int main(void)
{
	puts("handoff: under construction");
	return 0;
}
