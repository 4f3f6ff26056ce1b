/*
 * The quality gate on real labelled photos (../shared/faces, SSD
 * detector) and on synthetic landmarks, the tracker on synthetic boxes,
 * and one end-to-end run: a photo slid across a few frames through the
 * engine, the gate and the tracker makes one track.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face.h"
#include "track.h"
#include "test.h"

/* The photos with one person each. */
static const char *single[] = {
	"obama_1.jpg", "obama_2.jpg", "obama_3.jpg", "obama_4_480p.jpg",
	"biden_1.jpg", "biden_2.jpg", "kit_harington_1.jpg",
	"kit_harington_2.jpg", "kit_harington_3.jpg", "rose_leslie_1.jpg",
	"rose_leslie_2.jpg", "alex_lacamoire_1.jpg", "alex_lacamoire_2.jpg",
	"alex_lacamoire_3.png", "lin_manuel_miranda_1.png",
};
#define NSINGLE		(int)(sizeof single / sizeof single[0])

/* The one photo the gate refuses, as "blurry" (see quality.c). */
#define SOFT_PHOTO	"alex_lacamoire_3.png"


static struct face_engine	*fe;
static struct image		*photo[NSINGLE];
static struct face		 photo_face[NSINGLE];
static int			 photo_ok[NSINGLE];

/* The first face of IMG through the engine; 0 if there is one. */
static int
analyze_one(const struct image *img, struct face *out)
{
	struct face	*faces = NULL;
	char		*cause = NULL;
	int		 n = 0;

	if (face_engine_analyze(fe, img, &faces, &n, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	if (n >= 1)
		*out = faces[0];
	free(faces);
	return n >= 1 ? 0 : -1;
}

/* A copy of IMG. */
static struct image *
copy_of(const struct image *img)
{
	return image_crop(img, 0, 0, img->w, img->h);
}

/* IMG box-blurred in place with radius R (separable running sums). */
static void
box_blur(struct image *img, int r)
{
	uint8_t	*tmp;
	int	 x, y, c, k, n, s, w = img->w, h = img->h;

	tmp = malloc((size_t)w * h * 3);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			for (c = 0; c < 3; c++) {
				s = n = 0;
				for (k = x - r; k <= x + r; k++)
					if (k >= 0 && k < w) {
						s += img->rgb[((size_t)y * w +
						    k) * 3 + c];
						n++;
					}
				tmp[((size_t)y * w + x) * 3 + c] = s / n;
			}
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			for (c = 0; c < 3; c++) {
				s = n = 0;
				for (k = y - r; k <= y + r; k++)
					if (k >= 0 && k < h) {
						s += tmp[((size_t)k * w + x) *
						    3 + c];
						n++;
					}
				img->rgb[((size_t)y * w + x) * 3 + c] = s / n;
			}
	free(tmp);
}

/* IMG shrunk by the integer factor F (area average). */
static struct image *
shrink(const struct image *img, int f)
{
	struct image	*out;
	int		 x, y, c, i, j, s;

	out = image_new(img->w / f, img->h / f);
	for (y = 0; y < out->h; y++)
		for (x = 0; x < out->w; x++)
			for (c = 0; c < 3; c++) {
				s = 0;
				for (j = 0; j < f; j++)
					for (i = 0; i < f; i++)
						s += img->rgb[((size_t)(y * f +
						    j) * img->w + x * f + i) *
						    3 + c];
				out->rgb[((size_t)y * out->w + x) * 3 + c] =
				    s / (f * f);
			}
	return out;
}

/* Every single-person photo passes the default gate. */
TEST(test_photos_pass)
{
	struct quality	q;
	char		path[512], *cause = NULL;
	int		i;

	for (i = 0; i < NSINGLE; i++) {
		snprintf(path, sizeof path, "%s/%s", test_faces_dir(),
		    single[i]);
		if (image_load(path, IMAGE_MAX_PIXELS, &photo[i],
		    &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			cause = NULL;
			CHECK(0);
			continue;
		}
		if (analyze_one(photo[i], &photo_face[i]) != 0) {
			CHECK(0);
			continue;
		}
		photo_ok[i] = 1;
		quality_check(photo[i], &photo_face[i], NULL, &q);
		printf("  %-26s box %4.0f eyes %4.0f out %.2f luma %5.1f "
		    "sharp %.3f yaw %+5.1f roll %+5.1f pitch %.2f "
		    "score %.2f %s\n", single[i], q.box, q.eyes, q.outside,
		    q.brightness, q.sharpness, q.yaw, q.roll, q.pitch,
		    q.score, q.reason);
		CHECK(q.score > 0 && q.score <= 1);
		/* An upscaled SD video frame: soft enough to refuse. */
		if (strcmp(single[i], SOFT_PHOTO) == 0) {
			CHECK_STR(q.reason, "blurry");
			CHECK(!q.pass);
			continue;
		}
		CHECK_STR(q.reason, "ok");
		CHECK(q.pass);
	}
}

/* Blurred, darkened, brightened and shrunk copies fail for that reason. */
TEST(test_photos_degraded)
{
	struct image	*img;
	struct face	 f;
	struct quality	 q;
	double		 maxblur = 0, minsharp = 1e9;
	size_t		 k, n;
	int		 i, s;

	for (i = 0; i < NSINGLE; i++) {
		if (!photo_ok[i])
			continue;
		quality_check(photo[i], &photo_face[i], NULL, &q);
		if (strcmp(single[i], SOFT_PHOTO) != 0 && q.sharpness < minsharp)
			minsharp = q.sharpness;

		img = copy_of(photo[i]);
		box_blur(img, 4);
		quality_check(img, &photo_face[i], NULL, &q);
		if (q.sharpness > maxblur)
			maxblur = q.sharpness;
		CHECK_STR(q.reason, "blurry");
		image_free(img);

		img = copy_of(photo[i]);
		n = (size_t)img->w * img->h * 3;
		for (k = 0; k < n; k++)
			img->rgb[k] = (uint8_t)(img->rgb[k] * 0.15);
		quality_check(img, &photo_face[i], NULL, &q);
		CHECK_STR(q.reason, "too-dark");
		image_free(img);

		img = copy_of(photo[i]);
		for (k = 0; k < n; k++)
			img->rgb[k] = (uint8_t)(255 - (255 - img->rgb[k]) / 8);
		quality_check(img, &photo_face[i], NULL, &q);
		CHECK_STR(q.reason, "too-bright");
		image_free(img);

		/* Shrunk so that the box is about 40 px wide. */
		s = (int)ceil(photo_face[i].box.w / 40);
		if (s < 2)
			s = 2;
		img = shrink(photo[i], s);
		f = photo_face[i];
		f.box.x /= s;
		f.box.y /= s;
		f.box.w /= s;
		f.box.h /= s;
		for (k = 0; k < FACE_LANDMARKS; k++) {
			f.landmarks[k][0] /= s;
			f.landmarks[k][1] /= s;
		}
		quality_check(img, &f, NULL, &q);
		CHECK(q.box <= 40);
		CHECK_STR(q.reason, "too-small");
		image_free(img);
	}
	printf("  sharpness: photos (but %s) >= %.3f, box-blurred (r=4) <= %.3f, "
	    "limit %.3f\n", SOFT_PHOTO, minsharp, maxblur,
	    quality_default_limits.min_sharpness);
	CHECK(maxblur < quality_default_limits.min_sharpness);
	CHECK(minsharp > quality_default_limits.min_sharpness);
}

/* A mirrored photo turns the other way by about as much. */
TEST(test_photo_flipped)
{
	struct image	*img;
	struct face	 f;
	struct quality	 q, qf;
	int		 x, y, c;

	if (!photo_ok[0]) {
		CHECK(0);
		return;
	}
	img = copy_of(photo[0]);
	for (y = 0; y < img->h; y++)
		for (x = 0; x < img->w; x++)
			for (c = 0; c < 3; c++)
				img->rgb[((size_t)y * img->w + x) * 3 + c] =
				    photo[0]->rgb[((size_t)y * img->w +
				    img->w - 1 - x) * 3 + c];
	if (analyze_one(img, &f) != 0) {
		CHECK(0);
		image_free(img);
		return;
	}
	quality_check(photo[0], &photo_face[0], NULL, &q);
	quality_check(img, &f, NULL, &qf);
	printf("  %s yaw %+.1f roll %+.1f, flipped yaw %+.1f roll %+.1f\n",
	    single[0], q.yaw, q.roll, qf.yaw, qf.roll);
	CHECK_NEAR(fabs(qf.yaw), fabs(q.yaw), 4);
	CHECK_NEAR(qf.roll, -q.roll, 3);
	CHECK_STR(qf.reason, "ok");
	image_free(img);
}

/*
 * A synthetic face: a rough 3-D landmark layout (unit half-width, eyes
 * at y = 0, nose tip 1 forward of the jaw ends) turned by YAW and
 * rolled by ROLL degrees, 60 px a unit, centred at (200, 200).
 */
static void
synthetic_face(double yaw, double roll, struct face *f)
{
	double	p[FACE_LANDMARKS][3], t, cy, sy, cr, sr, x, y;
	int	k;

	for (k = 0; k <= 16; k++) {
		t = M_PI * k / 16;
		p[k][0] = -cos(t);
		p[k][1] = 1.1 * sin(t);
		p[k][2] = 0.6 * sin(t);
	}
	for (k = 17; k <= 26; k++) {
		p[k][0] = -0.75 + 1.5 * (k - 17) / 9;
		p[k][1] = -0.35;
		p[k][2] = 0.5;
	}
	for (k = 27; k <= 30; k++) {
		p[k][0] = 0;
		p[k][1] = -0.1 + 0.55 * (k - 27) / 3;
		p[k][2] = 0.6 + 0.4 * (k - 27) / 3;
	}
	for (k = 31; k <= 35; k++) {
		p[k][0] = -0.2 + 0.1 * (k - 31);
		p[k][1] = 0.55;
		p[k][2] = 0.75;
	}
	for (k = 36; k <= 47; k++) {
		t = 2 * M_PI * ((k - 36) % 6) / 6;
		p[k][0] = (k < 42 ? -0.45 : 0.45) - 0.15 * cos(t);
		p[k][1] = -0.06 * sin(t);
		p[k][2] = 0.5;
	}
	for (k = 48; k <= 67; k++) {
		t = 2 * M_PI * (k < 60 ? (k - 48) / 12.0 : (k - 60) / 8.0);
		p[k][0] = -(k < 60 ? 0.35 : 0.25) * cos(t);
		p[k][1] = 0.8 - (k < 60 ? 0.12 : 0.05) * sin(t);
		p[k][2] = 0.7;
	}
	cy = cos(yaw * M_PI / 180);
	sy = sin(yaw * M_PI / 180);
	cr = cos(roll * M_PI / 180);
	sr = sin(roll * M_PI / 180);
	for (k = 0; k < FACE_LANDMARKS; k++) {
		x = p[k][0] * cy + p[k][2] * sy;
		y = p[k][1];
		f->landmarks[k][0] = 200 + 60 * (x * cr - y * sr);
		f->landmarks[k][1] = 200 + 60 * (x * sr + y * cr);
	}
	f->box.x = 200 - 72;
	f->box.y = 200 - 60;
	f->box.w = 144;
	f->box.h = 150;
	f->box.score = 0.99;
	memset(f->descriptor, 0, sizeof f->descriptor);
}

/* Pose from synthetic landmarks: measured angles and reasons. */
TEST(test_pose_synthetic)
{
	static const struct {
		double		 yaw;
		double		 roll;
		const char	*reason;
	} cases[] = {
		{ 0, 0, "ok" },
		{ 20, 0, "ok" },
		{ -20, 0, "ok" },
		{ 0, 12, "ok" },
		{ 0, -12, "ok" },
		{ 15, 10, "ok" },
		{ 40, 0, "turned" },
		{ -40, 0, "turned" },
		{ 45, 0, "turned" },
		{ 55, 0, "turned" },
		{ -55, 5, "turned" },
		{ 30, 0, "ok" },
		{ 0, 30, "tilted" },
		{ 0, -30, "tilted" },
		{ 42, 30, "turned" },
		{ 10, 25, "tilted" },
	};
	struct image	*img;
	struct face	 f;
	struct quality	 q, q0;
	size_t		 i;
	uint32_t	 seed = 12345;

	/* A sharp, mid-grey texture: only the pose can fail. */
	img = image_new(400, 400);
	for (i = 0; i < (size_t)400 * 400 * 3; i++) {
		seed = seed * 1103515245 + 12345;
		img->rgb[i] = (uint8_t)(80 + (seed >> 16) % 96);
	}
	synthetic_face(0, 0, &f);
	quality_check(img, &f, NULL, &q0);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		synthetic_face(cases[i].yaw, cases[i].roll, &f);
		quality_check(img, &f, NULL, &q);
		/* Past 45 degrees the nose is beyond a jaw end: 90. */
		if (fabs(cases[i].yaw) > 45)
			CHECK_NEAR(q.yaw, cases[i].yaw > 0 ? 90 : -90, 0);
		else
			CHECK_NEAR(q.yaw, cases[i].yaw, 0.5);
		CHECK_NEAR(q.roll, cases[i].roll, 0.5);
		CHECK_STR(q.reason, cases[i].reason);
		if (cases[i].yaw != 0 || cases[i].roll != 0)
			CHECK(q.score < q0.score);
	}
	/* Cut off: the box mostly off the right edge. */
	synthetic_face(0, 0, &f);
	f.box.x = 350;
	quality_check(img, &f, NULL, &q);
	CHECK_STR(q.reason, "cut-off");
	f.box.x = 500;
	CHECK_INT(quality_check(img, &f, NULL, &q), 1);
	CHECK_STR(q.reason, "cut-off");
	/* Too small by the eyes even when the box is big enough. */
	synthetic_face(0, 0, &f);
	for (i = 36; i <= 47; i++)
		f.landmarks[i][0] = 200 + (f.landmarks[i][0] - 200) * 0.4;
	quality_check(img, &f, NULL, &q);
	CHECK_STR(q.reason, "too-small");
	image_free(img);
}

/* A synthetic face of the tracker tests: box at (X, Y), size S. */
static struct face
box_face(double x, double y, double s, float tag)
{
	struct face	f;

	memset(&f, 0, sizeof f);
	f.box.x = x;
	f.box.y = y;
	f.box.w = s;
	f.box.h = s;
	f.box.score = 0.9;
	f.descriptor[0] = tag;
	return f;
}

/* A passing quality with score S. */
static struct quality
score_of(double s, int pass)
{
	struct quality	q;

	memset(&q, 0, sizeof q);
	q.score = s;
	q.pass = pass;
	q.reason = pass ? "ok" : "blurry";
	return q;
}

/* One face moving slowly for 30 frames is one track. */
TEST(test_track_one)
{
	struct tracker	*tr;
	struct track	*t;
	struct face	 f;
	uint64_t	 id;
	int		 i;

	tr = tracker_new(NULL);
	for (i = 0; i < 30; i++) {
		f = box_face(100 + 4 * i, 80 + i, 120 + i, (float)i);
		tracker_update(tr, i * 66, NULL, &f, 1, NULL, &id);
		CHECK_INT(id, 1);
		CHECK_INT(tracker_count(tr), 1);
	}
	CHECK(tracker_take_ended(tr) == NULL);
	CHECK_INT(tracker_track(tr, 0)->frames, 30);
	CHECK_INT(tracker_track(tr, 0)->first_ms, 0);
	CHECK_INT(tracker_track(tr, 0)->last_ms, 29 * 66);
	CHECK_NEAR(tracker_track(tr, 0)->box.x, 100 + 4 * 29, 0);
	/* Nothing more for longer than lost_after: ended, handed over. */
	tracker_update(tr, 29 * 66 + 1501, NULL, NULL, 0, NULL, NULL);
	CHECK_INT(tracker_count(tr), 0);
	t = tracker_take_ended(tr);
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK_INT(t->id, 1);
		CHECK_INT(t->frames, 30);
		CHECK_INT(t->evicted, 0);
	}
	CHECK(tracker_take_ended(tr) == NULL);
	track_free(t);
	tracker_free(tr);
}

/* Two faces crossing paths (one a little lower) keep their ids. */
TEST(test_track_crossing)
{
	struct tracker	*tr;
	struct face	 f[2];
	uint64_t	 ids[2];
	int		 i, a, b;

	tr = tracker_new(NULL);
	for (i = 0; i < 40; i++) {
		/* A goes right, B left; listed in either order. */
		a = i % 2;
		b = 1 - a;
		f[a] = box_face(50 + 10 * i, 100, 100, 1);
		f[b] = box_face(450 - 10 * i, 150, 100, 2);
		tracker_update(tr, i * 66, NULL, f, 2, NULL, ids);
		CHECK_INT(ids[a], 1);
		CHECK_INT(ids[b], 2);
	}
	CHECK_INT(tracker_count(tr), 2);
	CHECK(tracker_take_ended(tr) == NULL);
	tracker_free(tr);
}

/* A short gap keeps the track; a long one ends it and starts another. */
TEST(test_track_gap)
{
	struct tracker	*tr;
	struct track	*t;
	struct face	 f;
	uint64_t	 id;
	int64_t		 now = 0;
	int		 i;

	tr = tracker_new(NULL);
	f = box_face(200, 100, 120, 0);
	for (i = 0; i < 10; i++, now += 66)
		tracker_update(tr, now, NULL, &f, 1, NULL, &id);
	now += 1400;
	for (i = 0; i < 10; i++, now += 66)
		tracker_update(tr, now, NULL, &f, 1, NULL, &id);
	CHECK_INT(id, 1);
	CHECK(tracker_take_ended(tr) == NULL);
	now += 1600;
	tracker_update(tr, now, NULL, &f, 1, NULL, &id);
	CHECK_INT(id, 2);
	t = tracker_take_ended(tr);
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK_INT(t->id, 1);
		CHECK_INT(t->frames, 20);
	}
	track_free(t);
	/* A face far from the last box is a new track, gap or not. */
	f = box_face(600, 100, 120, 0);
	tracker_update(tr, now + 66, NULL, &f, 1, NULL, &id);
	CHECK_INT(id, 3);
	CHECK_INT(tracker_count(tr), 2);
	tracker_end_all(tr);
	CHECK_INT(tracker_count(tr), 0);
	t = tracker_take_ended(tr);
	CHECK(t != NULL && t->id == 2);
	track_free(t);
	t = tracker_take_ended(tr);
	CHECK(t != NULL && t->id == 3);
	track_free(t);
	tracker_free(tr);
}

/* The K best frames: passing first, by score, with crops of the frame. */
TEST(test_track_best)
{
	static const double	scores[] = { 0.2, 0.9, 0.5, 0.1, 0.7, 0.95,
				    0.3 };
	struct tracker_params	p = tracker_default_params;
	struct tracker		*tr;
	const struct track	*t;
	struct image		*img;
	struct face		 f;
	struct quality		 q;
	size_t			 i;

	p.best = 3;
	tr = tracker_new(&p);
	img = image_new(320, 240);
	memset(img->rgb, 128, (size_t)320 * 240 * 3);
	for (i = 0; i < sizeof scores / sizeof scores[0]; i++) {
		f = box_face(100, 60, 100, (float)i);
		q = score_of(scores[i], 1);
		tracker_update(tr, (int64_t)i * 66, img, &f, 1, &q, NULL);
	}
	/* A failing frame ranks below every passing one, whatever its score. */
	q = score_of(0.99, 0);
	tracker_update(tr, 1000, img, &f, 1, &q, NULL);
	t = tracker_track(tr, 0);
	CHECK_INT(t->nbest, 3);
	CHECK_NEAR(t->best[0].quality.score, 0.95, 0);
	CHECK_NEAR(t->best[1].quality.score, 0.9, 0);
	CHECK_NEAR(t->best[2].quality.score, 0.7, 0);
	CHECK_NEAR(t->best[0].face.descriptor[0], 5, 0);
	CHECK_INT(t->best[0].time_ms, 5 * 66);
	/* The crop is the box and a quarter more on each side. */
	CHECK(t->best[0].crop != NULL);
	if (t->best[0].crop != NULL) {
		CHECK_INT(t->best[0].crop->w, 150);
		CHECK_INT(t->best[0].crop->h, 150);
	}
	CHECK_INT(t->frames, 8);
	image_free(img);
	tracker_free(tr);

	/* Only failing frames: still kept, best first, for the photo. */
	tr = tracker_new(&p);
	for (i = 0; i < 4; i++) {
		f = box_face(100, 60, 100, (float)i);
		q = score_of(0.1 * (double)i, 0);
		tracker_update(tr, (int64_t)i * 66, NULL, &f, 1, &q, NULL);
	}
	t = tracker_track(tr, 0);
	CHECK_INT(t->nbest, 3);
	CHECK_NEAR(t->best[0].quality.score, 0.3, 1e-12);
	CHECK(t->best[0].crop == NULL);
	CHECK_INT(t->nrecent, 0);
	tracker_free(tr);
}

/* At most max_tracks: new faces push out unseen low-quality tracks. */
TEST(test_track_bound)
{
	struct tracker_params	 p = tracker_default_params;
	struct tracker		*tr;
	struct track		*t;
	struct face		 f[6];
	struct quality		 q[6];
	uint64_t		 ids[6];
	int			 i;

	p.max_tracks = 4;
	tr = tracker_new(&p);
	for (i = 0; i < 6; i++) {
		f[i] = box_face(150 * i, 0, 100, (float)i);
		q[i] = score_of(0.1 * (i + 1), 1);
	}
	/* Six new faces, room for four: the two worst get no track. */
	tracker_update(tr, 0, NULL, f, 6, q, ids);
	CHECK_INT(tracker_count(tr), 4);
	CHECK_INT(ids[0], 0);
	CHECK_INT(ids[1], 0);
	CHECK(ids[2] != 0 && ids[3] != 0 && ids[4] != 0 && ids[5] != 0);
	/* Two new faces elsewhere: the two worst unseen tracks end. */
	for (i = 0; i < 2; i++) {
		f[i] = box_face(150 * i, 500, 100, (float)i);
		q[i] = score_of(0.5, 1);
	}
	tracker_update(tr, 66, NULL, f, 2, q, ids);
	CHECK_INT(tracker_count(tr), 4);
	t = tracker_take_ended(tr);
	CHECK(t != NULL && t->evicted && t->best[0].quality.score < 0.35);
	track_free(t);
	t = tracker_take_ended(tr);
	CHECK(t != NULL && t->evicted && t->best[0].quality.score < 0.45);
	track_free(t);
	CHECK(tracker_take_ended(tr) == NULL);
	/* Ended tracks left untaken are bounded too. */
	for (i = 0; i < 20; i++) {
		f[0] = box_face(0, 1000 + 200 * i, 100, 0);
		q[0] = score_of(0.5, 1);
		tracker_update(tr, 132 + i * 2000, NULL, f, 1, q, NULL);
	}
	CHECK(tracker_count(tr) <= 4);
	CHECK(tracker_dropped(tr) > 0);
	for (i = 0; (t = tracker_take_ended(tr)) != NULL; i++)
		track_free(t);
	CHECK_INT(i, 4);
	tracker_free(tr);
}

/* The ring of recent descriptors holds the last N passing frames. */
TEST(test_track_recent)
{
	struct tracker_params	 p = tracker_default_params;
	struct tracker		*tr;
	const struct track	*t;
	struct face		 f;
	struct quality		 q;
	int			 i;

	p.recent = 4;
	tr = tracker_new(&p);
	for (i = 0; i < 6; i++) {
		f = box_face(100, 100, 100, (float)i);
		q = score_of(0.5, 1);
		tracker_update(tr, i * 66, NULL, &f, 1, &q, NULL);
		t = tracker_track(tr, 0);
		CHECK_INT(t->nrecent, i + 1 < 4 ? i + 1 : 4);
		CHECK_NEAR(track_recent(t, 0)[0], i, 0);
	}
	/* A failing frame is no vote. */
	f = box_face(100, 100, 100, 99);
	q = score_of(0.9, 0);
	tracker_update(tr, 400, NULL, &f, 1, &q, NULL);
	t = tracker_track(tr, 0);
	CHECK_INT(t->nrecent, 4);
	for (i = 0; i < 4; i++)
		CHECK_NEAR(track_recent(t, i)[0], 5 - i, 0);
	CHECK(track_recent(t, 4) == NULL);
	CHECK(track_recent(t, -1) == NULL);
	tracker_free(tr);
}

/* A photo slid across six frames: engine, gate, tracker: one track. */
TEST(test_track_photo)
{
	struct tracker	*tr;
	struct track	*t;
	struct image	*frame;
	struct face	 f;
	struct quality	 q;
	uint64_t	 id;
	int		 i, w, h, passed = 0;

	if (!photo_ok[0]) {
		CHECK(0);
		return;
	}
	w = photo[0]->w - 48;
	h = photo[0]->h - 24;
	tr = tracker_new(NULL);
	for (i = 0; i < 6; i++) {
		frame = image_crop(photo[0], 8 * i, 4 * i, w, h);
		if (frame == NULL || analyze_one(frame, &f) != 0) {
			CHECK(0);
			image_free(frame);
			continue;
		}
		passed += quality_check(frame, &f, NULL, &q) == 0;
		tracker_update(tr, i * 66, frame, &f, 1, &q, &id);
		CHECK_INT(id, 1);
		image_free(frame);
	}
	CHECK_INT(passed, 6);
	tracker_end_all(tr);
	t = tracker_take_ended(tr);
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK_INT(t->frames, 6);
		CHECK_INT(t->nbest, tracker_default_params.best);
		CHECK_INT(t->nrecent, 6);
		for (i = 0; i < t->nbest; i++) {
			CHECK(t->best[i].crop != NULL);
			CHECK(t->best[i].quality.pass);
			if (i > 0)
				CHECK(t->best[i].quality.score <=
				    t->best[i - 1].quality.score);
		}
		/* The same face: descriptors of the best frames agree. */
		CHECK(face_distance(t->best[0].face.descriptor,
		    t->best[t->nbest - 1].face.descriptor) < 0.2);
	}
	CHECK(tracker_take_ended(tr) == NULL);
	track_free(t);
	tracker_free(tr);
}

int
main(void)
{
	struct face_engine_opts	 o;
	char			*cause = NULL;
	int			 i;

	RUN(test_pose_synthetic);
	RUN(test_track_one);
	RUN(test_track_crossing);
	RUN(test_track_gap);
	RUN(test_track_best);
	RUN(test_track_bound);
	RUN(test_track_recent);

	if (test_faces_dir() == NULL) {
		printf("SKIP test-track: 4 photo tests: labelled photos absent\n");
		test_skipped += 4;
		return test_main_end("test-track");
	}
	face_engine_default_opts(&o);
	o.detector = FACE_DETECTOR_SSD;
	if ((fe = face_engine_new(test_models_dir(), &o, &cause)) == NULL) {
		printf("SKIP test-track: 4 photo tests: %s\n", cause);
		free(cause);
		test_skipped += 4;
		return test_main_end("test-track");
	}
	RUN(test_photos_pass);
	RUN(test_photos_degraded);
	RUN(test_photo_flipped);
	RUN(test_track_photo);
	for (i = 0; i < NSINGLE; i++)
		image_free(photo[i]);
	face_engine_free(fe);
	return test_main_end("test-track");
}
