/*
 * Identity on real labelled photos (../shared/faces): people enrolled
 * from one or two photos each are recognised in their other photos and in
 * group photos, never as somebody else, and a stranger stays unknown.
 * SsdMobilenetv1 is used: TinyFaceDetector misses the small or turned
 * faces of kit_harington_3 and group_obama_biden.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face.h"
#include "gallery.h"
#include "test.h"

enum person {
	STRANGER = -1,
	OBAMA = 1,
	BIDEN,
	KIT,
	ROSE,
	ALEX,
};

static const struct {
	const char	*file;
	enum person	 who;
} enrolled[] = {
	{ "obama_1.jpg", OBAMA },
	{ "obama_2.jpg", OBAMA },
	{ "biden_1.jpg", BIDEN },
	{ "kit_harington_1.jpg", KIT },
	{ "kit_harington_2.jpg", KIT },
	{ "rose_leslie_1.jpg", ROSE },
	{ "alex_lacamoire_1.jpg", ALEX },
	{ "alex_lacamoire_2.jpg", ALEX },
};

static const struct {
	const char	*file;
	enum person	 who;
} probes[] = {
	{ "obama_3.jpg", OBAMA },
	{ "obama_4_480p.jpg", OBAMA },
	{ "biden_2.jpg", BIDEN },
	{ "kit_harington_3.jpg", KIT },
	{ "rose_leslie_2.jpg", ROSE },
	{ "alex_lacamoire_3.png", ALEX },
	{ "lin_manuel_miranda_1.png", STRANGER },
};

/* Group photos and the people in them, in any order. */
static const struct {
	const char	*file;
	enum person	 who[2];
} groups[] = {
	{ "group_obama_biden.jpg", { OBAMA, BIDEN } },
	{ "group_two_people.jpg", { OBAMA, BIDEN } },
	{ "group_kit_harington_rose_leslie.jpg", { KIT, ROSE } },
};

static struct face_engine	*fe;
static struct gallery		*gallery;

/* The faces of labelled photo FILE; NULL (and *n = 0) if unreadable. */
static struct face *
faces_of(const char *file, int *n)
{
	struct image	*img;
	struct face	*faces = NULL;
	char		 path[512], *cause = NULL;

	*n = 0;
	snprintf(path, sizeof path, "%s/%s", test_faces_dir(), file);
	if (image_load(path, IMAGE_MAX_PIXELS, &img, &cause) != 0 ||
	    face_engine_analyze(fe, img, &faces, n, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return NULL;
	}
	image_free(img);
	return faces;
}

/* Who the gallery says FACE is: a person, or STRANGER past the threshold. */
static enum person
identify(const struct face *face, double *distance)
{
	struct gallery_match	best, second;

	gallery_search(gallery, face->descriptor, &best, &second, NULL);
	*distance = best.distance;
	if (best.distance >= FACE_MATCH_THRESHOLD)
		return STRANGER;
	return (enum person)best.identity;
}

TEST(test_enrol)
{
	struct face	*faces;
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof enrolled / sizeof enrolled[0]; i++) {
		faces = faces_of(enrolled[i].file, &n);
		CHECK_INT(n, 1);
		if (n >= 1)
			gallery_add(gallery, enrolled[i].who,
			    faces[0].descriptor);
		free(faces);
	}
	CHECK_INT(gallery_size(gallery), sizeof enrolled / sizeof enrolled[0]);
}

TEST(test_probes)
{
	struct face	*faces;
	double		 d;
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		faces = faces_of(probes[i].file, &n);
		CHECK_INT(n, 1);
		if (n >= 1) {
			if (identify(&faces[0], &d) != probes[i].who)
				fprintf(stderr, "%s: distance %.3f\n",
				    probes[i].file, d);
			CHECK_INT(identify(&faces[0], &d), probes[i].who);
		}
		free(faces);
	}
}

TEST(test_groups)
{
	struct face	*faces;
	enum person	 who;
	double		 d;
	size_t		 i;
	int		 n, k, found[2];

	for (i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		faces = faces_of(groups[i].file, &n);
		CHECK_INT(n, 2);
		found[0] = found[1] = 0;
		for (k = 0; k < n; k++) {
			who = identify(&faces[k], &d);
			if (who == groups[i].who[0])
				found[0]++;
			else if (who == groups[i].who[1])
				found[1]++;
			else
				fprintf(stderr, "%s #%d: %d at %.3f\n",
				    groups[i].file, k + 1, who, d);
		}
		CHECK_INT(found[0], 1);
		CHECK_INT(found[1], 1);
		free(faces);
	}
}

/* The second-best identity is another person, and clearly further away. */
TEST(test_margin)
{
	struct gallery_match	 best, second;
	struct face		*faces;
	int			 n;

	faces = faces_of("obama_3.jpg", &n);
	if (n < 1) {
		CHECK(0);
		free(faces);
		return;
	}
	gallery_search(gallery, faces[0].descriptor, &best, &second, NULL);
	CHECK_INT(best.identity, OBAMA);
	CHECK(second.identity != OBAMA && second.identity != -1);
	CHECK(second.distance - best.distance > 0.15);
	free(faces);
}

int
main(void)
{
	struct face_engine_opts	 o;
	char			*cause = NULL;

	if (test_faces_dir() == NULL) {
		printf("SKIP test-identity: labelled photos absent\n");
		test_skipped = 1;
		return test_main_end("test-identity");
	}
	face_engine_default_opts(&o);
	o.detector = FACE_DETECTOR_SSD;
	if ((fe = face_engine_new(test_models_dir(), &o, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	gallery = gallery_new();
	RUN(test_enrol);
	RUN(test_probes);
	RUN(test_groups);
	RUN(test_margin);
	gallery_free(gallery);
	face_engine_free(fe);
	return test_main_end("test-identity");
}
