/* Poison header of the portable build (-Dplatform=posix): the library must
 * not include <sys/epoll.h>, which only Linux has. Move the code that needs it
 * under src/os/unix/linux/ (or src/discover/linux-*) behind the internal header. */
#error \
    "<sys/epoll.h> is Linux-only and was included in the portable build (-Dplatform=posix): move that code to src/os/unix/linux/"
