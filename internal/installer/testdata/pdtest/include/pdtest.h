#define PDTEST 1
