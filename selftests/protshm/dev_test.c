// SPDX-License-Identifier: GPL-2.0
/*
 * The device itself: node, open/close, ABI version, unknown ioctls.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common.h"
#include "kselftest_harness.h"

TEST(device_node_mode)
{
	struct stat st;

	if (stat(PROTSHM_DEV, &st))
		SKIP(return, "%s missing (module not loaded?)", PROTSHM_DEV);
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0666, st.st_mode & 07777);
	ASSERT_EQ(10, major(st.st_rdev));	/* misc device */
}

TEST(open_close)
{
	int fd, fd2;

	fd = ps_open();
	ASSERT_LE(0, fd);
	fd2 = ps_open();	/* independent opens */
	ASSERT_LE(0, fd2);
	ASSERT_NE(fd, fd2);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, close(fd));
	/* read-only opens are allowed too */
	fd = open(PROTSHM_DEV, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(fd));
}

TEST(abi_version)
{
	int fd = ps_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(PROTSHM_ABI_VERSION, ioctl(fd, PROTSHM_IOC_VERSION));
	ASSERT_EQ(1, PROTSHM_ABI_VERSION);
	close(fd);
}

TEST(unknown_ioctl_enotty)
{
	/* control: a known command on the same fd works */
	int fd = ps_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(PROTSHM_ABI_VERSION, ioctl(fd, PROTSHM_IOC_VERSION));
	/* unused number in our magic */
	ASSERT_ERRNO(ioctl(fd, _IO(PROTSHM_IOC_MAGIC, 0x7f)), ENOTTY);
	/* a known number with the wrong size/direction encoding */
	ASSERT_ERRNO(ioctl(fd, _IOR(PROTSHM_IOC_MAGIC, 0x01, __u64)), ENOTTY);
	/* another driver's ioctl (TCGETS) */
	ASSERT_ERRNO(ioctl(fd, 0x5401, 0), ENOTTY);
	close(fd);
}

TEST(unbound_fd_ebadfd)
{
	struct protshm_info info;
	int fd = ps_open();

	ASSERT_LE(0, fd);
	ASSERT_ERRNO(ps_info(fd, &info, NULL), EBADFD);
	ASSERT_ERRNO(ps_restrict(fd, 0, PROTSHM_PROT_READ, 0), EBADFD);
	ASSERT_ERRNO(ps_unlink(fd), EBADFD);
	ASSERT_ERRNO(mmap(NULL, page_size(), PROT_READ, MAP_SHARED, fd, 0),
		     EBADFD);
	close(fd);
}

TEST(file_ops_refused)
{
	char buf[8] = { 0 };
	int fd = ps_open();

	ASSERT_LE(0, fd);
	ASSERT_ERRNO(write(fd, buf, sizeof(buf)), EINVAL);
	/* read(2) of a bound file returns lowering records (notify_test.c) */
	ASSERT_ERRNO(read(fd, buf, sizeof(buf)), EBADFD);
	close(fd);
}

TEST_HARNESS_MAIN
